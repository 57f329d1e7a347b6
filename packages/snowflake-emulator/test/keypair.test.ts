import { generateKeyPairSync } from 'node:crypto';
import type snowflake from 'snowflake-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SnowflakeEmulator, startSnowflakeEmulator } from '../src/index.js';
import { connect, run } from './support.js';

const pair = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });

const user = pair();
const rotated = pair();
const stranger = pair();
let clockOffsetMs = 0;
let sf: SnowflakeEmulator;

beforeAll(async () => {
  sf = await startSnowflakeEmulator({
    username: 'loader',
    publicKey: [user.publicKey, rotated.publicKey],
    now: () => Date.now() + clockOffsetMs,
  });
});
afterAll(async () => {
  await sf.stop();
});

const keyPairOptions = (privateKey: string): Partial<snowflake.ConnectionOptions> => ({
  authenticator: 'SNOWFLAKE_JWT',
  privateKey,
  password: undefined,
});

const loginError = async (extra: Partial<snowflake.ConnectionOptions>) => {
  try {
    const connection = await connect(sf, extra);
    connection.destroy(() => {});
  } catch (error) {
    return error as snowflake.SnowflakeError;
  }
  throw new Error('expected the login to fail');
};

describe('key-pair login (SNOWFLAKE_JWT)', () => {
  it("logs in with the driver's JWT signed by the user's private key (either configured key)", async () => {
    for (const key of [user.privateKey, rotated.privateKey]) {
      const connection = await connect(sf, keyPairOptions(key));
      const { rows } = await run(connection, 'select current_user() as u');
      expect(rows).toEqual([{ U: 'LOADER' }]);
      await new Promise<void>((resolve) => connection.destroy(() => resolve()));
    }
  });

  it('answers 390144 "JWT token is invalid." for a key the user does not have, another user or an expired JWT', async () => {
    const wrongKey = await loginError(keyPairOptions(stranger.privateKey));
    expect([wrongKey.code, wrongKey.message]).toEqual(['390144', 'JWT token is invalid.']);
    const otherUser = await loginError({ ...keyPairOptions(user.privateKey), username: 'someone_else' });
    expect(otherUser.code).toBe('390144');
    // The driver's JWT lives 120 s: on a server clock 10 minutes ahead it has expired.
    clockOffsetMs = 10 * 60_000;
    try {
      const expired = await loginError(keyPairOptions(user.privateKey));
      expect(expired.code).toBe('390144');
    } finally {
      clockOffsetMs = 0;
    }
    // The password login of the same user is unaffected.
    const byPassword = await connect(sf);
    expect((await run(byPassword, 'select 1 as one')).rows).toEqual([{ ONE: 1 }]);
    await new Promise<void>((resolve) => byPassword.destroy(() => resolve()));
  });
});
