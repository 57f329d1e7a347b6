import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openSnowflakeWarehouse, readSnowflakeConnection } from '../src/index.js';
import { type LocalSnowflake, startLocalSnowflake } from './support.js';

let home: string;

async function write(name: string, text: string, mode = 0o600): Promise<void> {
  const file = join(home, name);
  await writeFile(file, text);
  await chmod(file, mode);
}

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'kicksaw-snowflake-home-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('readSnowflakeConnection', () => {
  it('reads a named connection of connections.toml and maps the keys to snowflake-sdk options', async () => {
    await write(
      'connections.toml',
      `[dev]
account = "acme-xy123"
user = "loader"
password = "secret"
database = "RAW"
schema = "SALESFORCE"
warehouse = "LOAD_WH"
role = "LOADER"
private_key_file = "/keys/rsa.p8"
client_session_keep_alive = true

[prod]
account = "acme-prod"
user = "p"
`,
    );
    const resolved = await readSnowflakeConnection({ name: 'dev', env: { SNOWFLAKE_HOME: home } });
    expect(resolved).toEqual({
      name: 'dev',
      file: join(home, 'connections.toml'),
      overriddenByEnv: [],
      filledFromEnv: [],
      options: {
        account: 'acme-xy123',
        username: 'loader',
        password: 'secret',
        database: 'RAW',
        schema: 'SALESFORCE',
        warehouse: 'LOAD_WH',
        role: 'LOADER',
        privateKeyPath: '/keys/rsa.p8',
        clientSessionKeepAlive: true,
      },
    });
  });

  it('picks the default name from SNOWFLAKE_DEFAULT_CONNECTION_NAME, else config.toml default_connection_name, else "default"', async () => {
    await write(
      'connections.toml',
      '[default]\naccount = "a-default"\n\n[dev]\naccount = "a-dev"\n\n[ci]\naccount = "a-ci"\n',
    );
    expect((await readSnowflakeConnection({ env: { SNOWFLAKE_HOME: home } })).options.account).toBe('a-default');
    await write('config.toml', 'default_connection_name = "dev"\n');
    expect((await readSnowflakeConnection({ env: { SNOWFLAKE_HOME: home } })).options.account).toBe('a-dev');
    expect(
      (await readSnowflakeConnection({ env: { SNOWFLAKE_HOME: home, SNOWFLAKE_DEFAULT_CONNECTION_NAME: 'ci' } })).name,
    ).toBe('ci');
    // An explicit name wins over both.
    expect(
      (
        await readSnowflakeConnection({
          name: 'default',
          env: { SNOWFLAKE_HOME: home, SNOWFLAKE_DEFAULT_CONNECTION_NAME: 'ci' },
        })
      ).options.account,
    ).toBe('a-default');
  });

  it('reads [connections.X] of config.toml when connections.toml has none, and ignores them when it has some', async () => {
    await write(
      'config.toml',
      'default_connection_name = "cfg"\n\n[connections.cfg]\naccount = "from-config"\nuser = "u"\n\n[cli.logs]\nsave_logs = false\n',
    );
    const fromConfig = await readSnowflakeConnection({ env: {}, home });
    expect(fromConfig).toMatchObject({
      name: 'cfg',
      file: join(home, 'config.toml'),
      options: { account: 'from-config' },
    });
    await write('connections.toml', '[other]\naccount = "from-connections"\n');
    await expect(readSnowflakeConnection({ env: {}, home })).rejects.toThrow(
      /No Snowflake connection named "cfg" in .*connections\.toml \(it has: other\)/,
    );
  });

  it('lets SNOWFLAKE_CONNECTIONS_<NAME>_<KEY> variables override the file', async () => {
    await write('connections.toml', '[my_dev]\naccount = "acme"\nuser = "file-user"\npassword = "file-password"\n');
    const resolved = await readSnowflakeConnection({
      name: 'my_dev',
      env: {
        SNOWFLAKE_HOME: home,
        SNOWFLAKE_CONNECTIONS_MY_DEV_PASSWORD: 'env-password',
        SNOWFLAKE_CONNECTIONS_MY_DEV_WAREHOUSE: 'ENV_WH',
        SNOWFLAKE_CONNECTIONS_OTHER_PASSWORD: 'not mine',
      },
    });
    expect(resolved.overriddenByEnv).toEqual(['password', 'warehouse']);
    expect(resolved.filledFromEnv).toEqual([]);
    expect(resolved.options).toEqual({
      account: 'acme',
      username: 'file-user',
      password: 'env-password',
      warehouse: 'ENV_WH',
    });
  });

  it('fills settings the file lacks from generic SNOWFLAKE_<KEY> variables, below the file and the named overrides', async () => {
    await write('connections.toml', '[dev]\naccount = "acme"\nuser = "file-user"\n');
    const resolved = await readSnowflakeConnection({
      name: 'dev',
      env: {
        SNOWFLAKE_HOME: home,
        SNOWFLAKE_USER: 'generic-user',
        SNOWFLAKE_PASSWORD: 'generic-password',
        SNOWFLAKE_ROLE: 'generic-role',
        SNOWFLAKE_CONNECTIONS_DEV_ROLE: 'named-role',
      },
    });
    expect(resolved.filledFromEnv).toEqual(['password']);
    expect(resolved.overriddenByEnv).toEqual(['role']);
    expect(resolved.options).toEqual({
      account: 'acme',
      username: 'file-user',
      password: 'generic-password',
      role: 'named-role',
    });
  });

  it('says what is wrong: no files, an unknown name, bad TOML, a bad port, no account, a file others may write', async () => {
    await expect(readSnowflakeConnection({ home, env: {} })).rejects.toMatchObject({
      code: 'SNOWFLAKE_CONFIG',
      message: expect.stringContaining('No Snowflake connection files in'),
    });
    await write('connections.toml', '[dev\naccount = 1');
    await expect(readSnowflakeConnection({ home, env: {}, name: 'dev' })).rejects.toThrow(/is not valid TOML/);
    await write('connections.toml', '[dev]\naccount = "a"\nport = "eighty"\n');
    await expect(readSnowflakeConnection({ home, env: {}, name: 'dev' })).rejects.toThrow(/port must be a number/);
    await write('connections.toml', '[dev]\nuser = "u"\n');
    await expect(readSnowflakeConnection({ home, env: {}, name: 'dev' })).rejects.toThrow(/has no account/);
    await write('connections.toml', '[dev]\naccount = "a"\n', 0o666);
    await expect(readSnowflakeConnection({ home, env: {}, name: 'dev' })).rejects.toThrow(/chmod 0600/);
  });
});

describe('openSnowflakeWarehouse with a named connection', () => {
  let local: LocalSnowflake;
  beforeAll(async () => {
    local = await startLocalSnowflake();
  });
  afterAll(async () => {
    await local?.stop();
  });

  it('connects to the local Snowflake through a connections.toml entry (host, port, protocol) with the password from the environment', async () => {
    const { sf } = local;
    await write(
      'connections.toml',
      `[local]
account = "${sf.account}"
user = "${sf.username}"
host = "${sf.host}"
port = ${sf.port}
protocol = "http"
database = "${sf.database}"
schema = "${sf.schema}"
warehouse = "${sf.warehouse}"
`,
    );
    const warehouse = await openSnowflakeWarehouse({
      env: {
        SNOWFLAKE_HOME: home,
        SNOWFLAKE_DEFAULT_CONNECTION_NAME: 'local',
        SNOWFLAKE_CONNECTIONS_LOCAL_PASSWORD: sf.password,
      },
    });
    try {
      const rows = [];
      for await (const row of warehouse.query('SELECT CURRENT_DATABASE() AS d, CURRENT_SCHEMA() AS s')) rows.push(row);
      expect(rows).toEqual([{ d: sf.database, s: sf.schema }]);
    } finally {
      await warehouse.close();
    }
  });
});
