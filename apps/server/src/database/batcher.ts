/**
 * Runs items through one statement per batch, with at most `concurrency` statements at once:
 * items that arrive while those run wait, and go together in the next (group commit). So a busy
 * server makes bigger batches, not more statements: the statements (round trips, commits) per item
 * fall as the load rises, and the database connections in use stay bounded.
 */
export class Batcher<K, V> {
  private waiting: { item: K; resolve: (value: V) => void; reject: (error: unknown) => void }[] = [];
  private running = 0;
  private scheduled = false;

  constructor(
    /** Answers one result per item, in order: a value, or an Error for that item alone. */
    private readonly run: (items: readonly K[]) => Promise<readonly (V | Error)[]>,
    private readonly options: { concurrency: number; maxBatch: number },
  ) {}

  load(item: K): Promise<V> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      // Whatever else arrives in this turn of the event loop goes with it.
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.dispatch();
        });
      }
    });
  }

  private dispatch(): void {
    while (this.running < this.options.concurrency && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.running++;
      this.run(batch.map((b) => b.item))
        .then(
          (results) =>
            batch.forEach((b, i) => {
              const result = results[i];
              if (result instanceof Error) b.reject(result);
              else b.resolve(result as V);
            }),
          (error: unknown) => {
            for (const b of batch) b.reject(error);
          },
        )
        .finally(() => {
          this.running--;
          this.dispatch();
        });
    }
  }
}
