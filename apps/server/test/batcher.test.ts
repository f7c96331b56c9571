import { describe, expect, it } from 'vitest';
import { Batcher } from '../src/database/batcher.js';

// The batching rule alone, with a statement the test finishes when it wants; the real statements
// are covered end to end (messaging.test.ts, overload.test.ts).

/** A "statement" per batch that stays open until the test finishes it. */
function statements() {
  const batches: { items: readonly number[]; finish: (results?: (number | Error)[]) => void }[] = [];
  const run = (items: readonly number[]) =>
    new Promise<(number | Error)[]>((resolve) => {
      batches.push({ items, finish: (results) => resolve(results ?? items.map((i) => i * 10)) });
    });
  return { batches, run };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('batcher', () => {
  it('sends what arrives in one turn together, and what arrives while statements run in the next', async () => {
    const { batches, run } = statements();
    const batcher = new Batcher(run, { concurrency: 1, maxBatch: 100 });
    const first = [1, 2, 3].map((i) => batcher.load(i));
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[1, 2, 3]]);

    // While the statement runs, nothing else starts: these wait and go together.
    const later = [4, 5].map((i) => batcher.load(i));
    await tick();
    const sixth = batcher.load(6);
    await tick();
    expect(batches).toHaveLength(1);

    batches[0]?.finish();
    expect(await Promise.all(first)).toEqual([10, 20, 30]);
    await tick();
    expect(batches.map((b) => b.items)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    batches[1]?.finish();
    expect(await Promise.all([...later, sixth])).toEqual([40, 50, 60]);
  });

  it('runs at most `concurrency` statements, of at most `maxBatch` items', async () => {
    const { batches, run } = statements();
    const batcher = new Batcher(run, { concurrency: 2, maxBatch: 2 });
    const all = [1, 2, 3, 4, 5].map((i) => batcher.load(i));
    await tick();
    expect(batches.map((b) => b.items)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    batches[1]?.finish();
    await tick();
    expect(batches.map((b) => b.items)).toEqual([[1, 2], [3, 4], [5]]);
    batches[0]?.finish();
    batches[2]?.finish();
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40, 50]);
  });

  it('fails only the item the statement says failed, or every item of a statement that failed', async () => {
    const { batches, run } = statements();
    const batcher = new Batcher(run, { concurrency: 1, maxBatch: 10 });
    const [a, b] = [1, 2].map((i) => batcher.load(i));
    await tick();
    batches[0]?.finish([10, new Error('bad item')]);
    expect(await a).toBe(10);
    await expect(b).rejects.toThrow('bad item');

    const failing = new Batcher<number, number>(async () => Promise.reject(new Error('no database')), {
      concurrency: 1,
      maxBatch: 10,
    });
    const results = await Promise.allSettled([failing.load(1), failing.load(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
