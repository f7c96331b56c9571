import { newRegistrationId } from '@parley/desktop';
import { REGISTRATION_ID_MAX, RegistrationId } from '@parley/shared';
import { describe, expect, it } from 'vitest';

describe('registration ids', () => {
  it('are always ones the server accepts, across the whole range', () => {
    // libsignal-typescript's own generator gives 0…16383: ~50 of 200,000 would be refused.
    const seen = new Set<number>();
    for (let i = 0; i < 200_000; i++) {
      const id = newRegistrationId();
      if (!RegistrationId.safeParse(id).success) throw new Error(`refused registration id ${id}`);
      seen.add(id);
    }
    // Both ends come up (each misses 200,000 draws with probability ~5e-6): the range is all used.
    expect([seen.has(1), seen.has(REGISTRATION_ID_MAX)]).toEqual([true, true]);
  });
});
