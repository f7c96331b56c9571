import { call, expectError, PASSWORD, register, uniqueName } from '@parley/test-support/http';
import { withServer } from '@parley/test-support/server';
import { describe, expect, it } from 'vitest';

// One proxy in front (the test plays it: it sets X-Forwarded-For), so tests can present many client IPs.
const t = withServer({
  TRUST_PROXY: '1',
  RATE_LIMIT_LOGIN_PER_IP: '20/600',
  RATE_LIMIT_LOGIN_FAILURES_PER_USERNAME_IP: '10/600',
  RATE_LIMIT_LOGIN_FAILURES_PER_USERNAME: '15/600',
});

/** A login as the proxy forwards it: `forwardedFor` is the X-Forwarded-For header the server gets. */
const loginVia = (forwardedFor: string, username: string, password = PASSWORD) =>
  call(t.url, 'POST', '/auth/login', {
    body: { username, password, device: { name: 'Test device' } },
    headers: { 'x-forwarded-for': forwardedFor },
  });

describe('TRUST_PROXY as a hop count', () => {
  it('a client cannot escape the per-IP login limit by forging the left of X-Forwarded-For', async () => {
    // The proxy appends the real client address (10.1.0.1); whatever the client put before it is its own.
    const real = '10.1.0.1';
    for (let i = 0; i < 20; i++) {
      expectError(await loginVia(`1.2.3.${i}, ${real}`, uniqueName(), 'wrong password'), 401, 'INVALID_CREDENTIALS');
    }
    expectError(await loginVia(`5.6.7.8, ${real}`, uniqueName(), 'wrong password'), 429, 'RATE_LIMITED');
    expectError(await loginVia(real, uniqueName(), 'wrong password'), 429, 'RATE_LIMITED');
    // Another real client behind the same proxy is not affected.
    expectError(await loginVia(`5.6.7.8, 10.1.0.2`, uniqueName(), 'wrong password'), 401, 'INVALID_CREDENTIALS');
  });
});

describe('failed logins', () => {
  it('an attacker guessing from one address is stopped there; the owner elsewhere still signs in', async () => {
    const alice = await register(t.url);
    const attacker = '10.2.0.1';
    for (let i = 0; i < 10; i++) {
      expectError(await loginVia(attacker, alice.user.username, `wrong password ${i}`), 401, 'INVALID_CREDENTIALS');
    }
    expectError(await loginVia(attacker, alice.user.username, 'wrong again'), 429, 'RATE_LIMITED');
    // Even the right password is refused from there until the window ends.
    expectError(await loginVia(attacker, alice.user.username), 429, 'RATE_LIMITED');
    // The owner, from their own address, with the right password: in.
    expect((await loginVia('10.2.0.2', alice.user.username)).status).toBe(200);
  });

  it('a successful login clears the failures from that address', async () => {
    const carol = await register(t.url);
    const here = '10.3.0.1';
    for (let i = 0; i < 5; i++) {
      expectError(await loginVia(here, carol.user.username, 'a typo here'), 401, 'INVALID_CREDENTIALS');
    }
    expect((await loginVia(here, carol.user.username)).status).toBe(200);
    for (let i = 0; i < 9; i++) {
      expectError(await loginVia(here, carol.user.username, 'a typo here'), 401, 'INVALID_CREDENTIALS');
    }
  });

  it('the per-username backstop stops a guess spread over many addresses, but not the owner at a new one', async () => {
    const bob = await register(t.url);
    // Eight addresses, two guesses each: the 16th failure is past the backstop (15).
    const guesses: number[] = [];
    for (let ip = 1; ip <= 8; ip++) {
      for (let guess = 0; guess < 2; guess++) {
        guesses.push((await loginVia(`10.4.0.${ip}`, bob.user.username, `guess number ${ip}.${guess}`)).status);
      }
    }
    expect(guesses).toEqual([...Array(15).fill(401), 429]);
    // Every address that has failed is refused now, even with the right password…
    expectError(await loginVia('10.4.0.1', bob.user.username), 429, 'RATE_LIMITED');
    // …a new address gets one guess at most, then it has failed too…
    expectError(await loginVia('10.4.0.9', bob.user.username, 'one more guess'), 401, 'INVALID_CREDENTIALS');
    expectError(await loginVia('10.4.0.9', bob.user.username, 'and another'), 429, 'RATE_LIMITED');
    // …and the owner, from an address with no failures, signs in.
    expect((await loginVia('10.4.0.10', bob.user.username)).status).toBe(200);
  });
});
