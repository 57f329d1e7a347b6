import type snowflake from 'snowflake-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SnowflakeEmulator, startSnowflakeEmulator } from '../src/index.js';
import { connect, run } from './support.js';

let sf: SnowflakeEmulator;
beforeAll(async () => {
  sf = await startSnowflakeEmulator({ database: 'SESSIONS' });
});
afterAll(async () => {
  await sf.stop();
});

function destroy(connection: snowflake.Connection): Promise<void> {
  return new Promise((resolve, reject) => connection.destroy((error) => (error ? reject(error) : resolve())));
}

describe('login', () => {
  it('logs in with the password and reports the session database, schema and warehouse', async () => {
    const connection = await connect(sf);
    const { rows } = await run(
      connection,
      'SELECT CURRENT_DATABASE() AS DB, CURRENT_SCHEMA() AS SCH, CURRENT_WAREHOUSE() AS WH, CURRENT_USER() AS U',
    );
    expect(rows).toEqual([{ DB: 'SESSIONS', SCH: 'PUBLIC', WH: 'COMPUTE_WH', U: 'KICKSAW' }]);
    expect(await connection.isValidAsync()).toBe(true);
    await destroy(connection);
  });

  it('accepts the login name in any case, as Snowflake does', async () => {
    const connection = await connect(sf, { username: sf.username.toUpperCase() });
    expect((await run(connection, 'SELECT 1 AS X')).rows).toEqual([{ X: 1 }]);
    await destroy(connection);
  });

  it('answers a wrong password with code 390100', async () => {
    await expect(connect(sf, { password: 'wrong' })).rejects.toMatchObject({
      code: '390100',
      message: expect.stringContaining('Incorrect username or password'),
    });
  });

  it('answers an unknown user with code 390100', async () => {
    await expect(connect(sf, { username: 'nobody' })).rejects.toMatchObject({ code: '390100' });
  });
});

describe('session lifetime', () => {
  it('renews an expired session token with the master token and runs the statement', async () => {
    const connection = await connect(sf);
    sf.expireSessionTokens();
    const { rows } = await run(connection, 'SELECT 42 AS ANSWER');
    expect(rows).toEqual([{ ANSWER: 42 }]);
    await destroy(connection);
  });

  it('fails statements of a session that was ended on the server', async () => {
    const connection = await connect(sf);
    sf.expireSessions();
    // HTTP 401 with 390104, which the driver reports as ERR_SF_RESPONSE_INVALID_TOKEN (401004).
    await expect(run(connection, 'SELECT 1')).rejects.toMatchObject({ code: 401004 });
  });

  it('keeps a session alive with heartbeats', async () => {
    const connection = await connect(sf, { clientSessionKeepAlive: true });
    await new Promise<void>((resolve, reject) =>
      (connection as unknown as { heartbeat(cb: (error?: Error) => void): void }).heartbeat((error) =>
        error ? reject(error) : resolve(),
      ),
    );
    expect((await run(connection, 'SELECT 1 AS X')).rows).toEqual([{ X: 1 }]);
    await destroy(connection);
  });

  it('logs out: the token no longer works afterwards', async () => {
    const connection = await connect(sf);
    await destroy(connection);
    expect(connection.isUp()).toBe(false);
    await expect(run(connection, 'SELECT 1')).rejects.toBeTruthy();
  });

  it('keeps USE and the session state per session', async () => {
    const a = await connect(sf);
    const b = await connect(sf);
    await run(a, 'CREATE SCHEMA OTHER');
    await run(a, 'USE SCHEMA OTHER');
    expect((await run(a, 'SELECT CURRENT_SCHEMA() AS S')).rows).toEqual([{ S: 'OTHER' }]);
    expect((await run(b, 'SELECT CURRENT_SCHEMA() AS S')).rows).toEqual([{ S: 'PUBLIC' }]);
    await destroy(a);
    await destroy(b);
  });
});
