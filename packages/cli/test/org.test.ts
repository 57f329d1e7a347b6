import { generateKeyPairSync } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SalesforceEmulator, startSalesforceEmulator } from '@kicksaw/sf-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertBuilt,
  closedPort,
  finished,
  kicksaw,
  loginWithToken,
  type Sandbox,
  sandbox,
  start,
  waitForOutput,
} from './helpers.js';

const CLIENT_ID = 'kicksaw-cli-test';
const CLIENT_SECRET = 'cli-test-secret';
let sf: SalesforceEmulator;
let privateKey: string;

beforeAll(async () => {
  assertBuilt();
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  privateKey = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  sf = await startSalesforceEmulator({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    jwtCertificate: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  });
});
afterAll(async () => {
  await sf?.stop();
});

async function withBox<T>(fn: (box: Sandbox) => Promise<T>): Promise<T> {
  const box = await sandbox();
  try {
    return await fn(box);
  } finally {
    await box.remove();
  }
}

describe('kicksaw org', () => {
  it('without a login names the command to run (exit 1), in words and in --json', async () => {
    await withBox(async (box) => {
      const human = await kicksaw(box, ['org', 'test']);
      expect(human.code).toBe(1);
      expect(human.stdout).toBe('');
      expect(human.stderr).toContain('nothing is logged in');
      expect(human.stderr).toContain('kicksaw org login --alias');
      const json = await kicksaw(box, ['query', 'SELECT Id FROM Account', '--json']);
      expect(json.code).toBe(1);
      const doc = json.json<{
        ok: boolean;
        command: string;
        exitCode: number;
        error: { code: string; hint: string };
      }>();
      expect(doc).toMatchObject({ ok: false, command: 'query', exitCode: 1, error: { code: 'NO_LOGIN' } });
      expect(doc.error.hint).toContain('kicksaw org login');
    });
  });

  it('usage errors exit 2 (and print a --json document when asked)', async () => {
    await withBox(async (box) => {
      const missing = await kicksaw(box, ['org', 'login', '--instance-url', sf.instanceUrl]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain("required option '--alias <name>' not specified");
      const bad = await kicksaw(box, ['import', 'x.csv', '--object', 'Contact', '--operation', 'merge', '--json']);
      expect(bad.code).toBe(2);
      expect(bad.json()).toMatchObject({ ok: false, command: 'import', exitCode: 2, error: { code: 'USAGE' } });
      const noWay = await kicksaw(box, ['org', 'login', '--alias', 'x']);
      expect(noWay.code).toBe(2);
      expect(noWay.stderr).toContain('--instance-url and --access-token');
    });
  });

  it('access-token login stores the token in the 0600 secrets file only, and never prints it', async () => {
    await withBox(async (box) => {
      const login = await kicksaw(box, [
        'org',
        'login',
        '--alias',
        'tok',
        '--instance-url',
        sf.instanceUrl,
        '--access-token',
        sf.accessToken,
        '--json',
      ]);
      expect(login.code).toBe(0);
      const doc = login.json<Record<string, unknown>>();
      expect(doc).toMatchObject({
        ok: true,
        command: 'org login',
        alias: 'tok',
        mode: 'accessToken',
        instanceUrl: sf.instanceUrl,
        username: sf.username,
        orgId: sf.orgId,
        default: true,
      });
      expect(login.stdout + login.stderr).not.toContain(sf.accessToken);
      const secrets = join(box.configDir, 'secrets.toml');
      expect((await stat(secrets)).mode & 0o777).toBe(0o600);
      expect((await stat(box.configDir)).mode & 0o777).toBe(0o700);
      expect(await readFile(secrets, 'utf8')).toContain(sf.accessToken);
      const config = await readFile(join(box.configDir, 'config.toml'), 'utf8');
      expect(config).not.toContain(sf.accessToken);
      expect(config).toContain('defaultOrg = "tok"');

      const list = await kicksaw(box, ['org', 'list', '--json']);
      expect(list.code).toBe(0);
      expect(list.json()).toEqual({
        ok: true,
        command: 'org list',
        defaultOrg: 'tok',
        orgs: [
          {
            alias: 'tok',
            mode: 'accessToken',
            instanceUrl: sf.instanceUrl,
            loginUrl: null,
            username: null,
            source: 'user',
            default: true,
          },
        ],
      });
      const test = await kicksaw(box, ['org', 'test', '--json']);
      expect(test.json()).toMatchObject({
        ok: true,
        alias: 'tok',
        source: 'user',
        username: sf.username,
        userId: sf.userId,
      });
      expect(test.stdout).not.toContain(sf.accessToken);

      // A secrets file others can read is refused, with the command that fixes it.
      await chmod(secrets, 0o644);
      const open = await kicksaw(box, ['org', 'test', '--json']);
      expect(open.code).toBe(1);
      expect(open.json()).toMatchObject({ error: { code: 'SECRETS_FILE_OPEN' } });
      expect(open.stderr).toContain(`chmod 600 ${secrets}`);
    });
  });

  it('password, JWT, client-credentials and browser logins; default, remove, nearest names', async () => {
    await withBox(async (box) => {
      const password = await kicksaw(
        box,
        ['org', 'login', '--alias', 'pw', '--login-url', sf.loginUrl, '--username', sf.username, '--json'],
        {
          env: { SF_PASSWORD: sf.password },
        },
      );
      expect(password.code).toBe(0);
      expect(password.json()).toMatchObject({ mode: 'password', username: sf.username, default: true });

      const keyFile = join(box.dir, 'server.key');
      await writeFile(keyFile, privateKey);
      const jwt = await kicksaw(box, [
        'org',
        'login',
        '--alias',
        'jwt',
        '--login-url',
        sf.loginUrl,
        '--client-id',
        CLIENT_ID,
        '--username',
        sf.username,
        '--jwt-key-file',
        keyFile,
        '--json',
      ]);
      expect(jwt.code).toBe(0);
      expect(jwt.json()).toMatchObject({ mode: 'jwt', default: false });
      const config = await readFile(join(box.configDir, 'config.toml'), 'utf8');
      expect(config).toContain(`privateKeyFile = "${keyFile}"`);
      expect(config + (await readFile(join(box.configDir, 'secrets.toml'), 'utf8'))).not.toContain('PRIVATE KEY');

      const cc = await kicksaw(box, [
        'org',
        'login',
        '--alias',
        'cc',
        '--login-url',
        sf.loginUrl,
        '--client-id',
        CLIENT_ID,
        '--client-secret',
        CLIENT_SECRET,
        '--json',
      ]);
      expect(cc.code).toBe(0);
      expect(cc.json()).toMatchObject({ mode: 'clientCredentials' });
      const wrongSecret = await kicksaw(box, [
        'org',
        'login',
        '--alias',
        'cc2',
        '--login-url',
        sf.loginUrl,
        '--client-id',
        CLIENT_ID,
        '--client-secret',
        'nope',
      ]);
      expect(wrongSecret.code).toBe(1);
      expect(wrongSecret.stderr).toContain('kicksaw: error:');
      expect(wrongSecret.stderr).not.toContain('nope');

      // The browser login: follow the printed address as a browser would; the callback server gets the code.
      const port = await closedPort();
      const web = start(box, [
        'org',
        'login',
        '--alias',
        'web',
        '--login-url',
        sf.loginUrl,
        '--client-id',
        CLIENT_ID,
        '--callback-port',
        String(port),
        '--no-browser',
        '--json',
      ]);
      await waitForOutput(web, (o) => /https?:\/\/\S+authorize\S+/.test(o.stderr));
      const url = /(https?:\/\/\S+authorize\S+)/.exec(web.output.stderr)?.[1] as string;
      expect(url).toContain('code_challenge=');
      const page = await fetch(url);
      expect(await page.text()).toContain('logged in');
      const webResult = await finished(web);
      expect(webResult.code).toBe(0);
      expect(webResult.json()).toMatchObject({ mode: 'refreshToken', alias: 'web' });
      // Each stored login works on its own later.
      for (const alias of ['jwt', 'web']) {
        const test = await kicksaw(box, ['org', 'test', alias, '--json']);
        expect(test.code, test.stderr).toBe(0);
        expect(test.json()).toMatchObject({ alias, username: sf.username });
      }

      const setDefault = await kicksaw(box, ['org', 'default', 'jwt', '--json']);
      expect(setDefault.json()).toEqual({ ok: true, command: 'org default', defaultOrg: 'jwt' });
      const removed = await kicksaw(box, ['org', 'remove', 'jwt', '--json']);
      expect(removed.json()).toEqual({ ok: true, command: 'org remove', removed: 'jwt', wasDefault: true });
      const list = await kicksaw(box, ['org', 'list', '--json']);
      expect(
        list
          .json<{ orgs: Array<{ alias: string }> }>()
          .orgs.map((o) => o.alias)
          .sort(),
      ).toEqual(['cc', 'pw', 'web']);

      const unknown = await kicksaw(box, ['org', 'test', 'wb', '--json']);
      expect(unknown.code).toBe(1);
      expect(unknown.json()).toMatchObject({ error: { code: 'ORG_UNKNOWN' } });
      expect(unknown.stderr).toContain('nearest: web');
    });
  });

  it('SF_* variables override stored settings, and alone make an org', async () => {
    await withBox(async (box) => {
      await loginWithToken(box, sf, 'tok');
      const overridden = await kicksaw(box, ['org', 'test', '--json'], { env: { SF_ACCESS_TOKEN: '00Dbad!token' } });
      expect(overridden.code).toBe(1);
      expect(overridden.json()).toMatchObject({ error: { code: 'ORG_LOGIN_REFUSED' } });
      expect(overridden.stdout + overridden.stderr).not.toContain('00Dbad!token');

      const bare = await sandbox();
      try {
        const fromEnv = await kicksaw(bare, ['org', 'test', '--json'], {
          env: { SF_INSTANCE_URL: sf.instanceUrl, SF_ACCESS_TOKEN: sf.accessToken },
        });
        expect(fromEnv.code).toBe(0);
        expect(fromEnv.json()).toMatchObject({
          alias: null,
          source: 'env',
          mode: 'accessToken',
          username: sf.username,
        });
      } finally {
        await bare.remove();
      }
    });
  });

  it('an unreachable org says so and what to check (exit 1)', async () => {
    await withBox(async (box) => {
      const port = await closedPort();
      const result = await kicksaw(box, [
        'org',
        'login',
        '--alias',
        'gone',
        '--instance-url',
        `http://127.0.0.1:${port}`,
        '--access-token',
        '00Dx!y',
        '--json',
      ]);
      expect(result.code).toBe(1);
      expect(result.json()).toMatchObject({ ok: false, error: { code: 'ORG_UNREACHABLE' } });
      expect(result.stderr).toContain(`Cannot reach org "gone" at http://127.0.0.1:${port}`);
      // Nothing was stored.
      const list = await kicksaw(box, ['org', 'list', '--json']);
      expect(list.json()).toMatchObject({ orgs: [] });
    });
  });

  it('--org takes an alias of the Salesforce CLI (sf org display --json) when sf is on the PATH', async () => {
    await withBox(async (box) => {
      // A stand-in for `sf` that answers `org display --json --target-org NAME` in the shape sf prints
      // (the real sf is checked against the emulator by sf-emulator's test/sf-cli/run.sh).
      const bin = join(box.dir, 'bin');
      await mkdir(bin);
      const script = `#!/bin/sh
if [ "$1 $2 $3 $4 $5" = "org display --json --target-org my-sf-alias" ]; then
  printf '%s' '{"status":0,"result":{"id":"${sf.orgId}","apiVersion":"62.0","accessToken":"${sf.accessToken}","instanceUrl":"${sf.instanceUrl}","username":"${sf.username}","connectedStatus":"Connected","alias":"my-sf-alias"}}'
  exit 0
fi
printf '%s' '{"status":1,"name":"NoOrgFound","message":"No authorization information found for '"$5"'."}'
exit 1
`;
      await writeFile(join(bin, 'sf'), script, { mode: 0o755 });
      const env = { PATH: `${bin}:${box.env.PATH}` };
      const ok = await kicksaw(box, ['org', 'test', '--org', 'my-sf-alias', '--json'], { env });
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.json()).toMatchObject({ alias: 'my-sf-alias', source: 'sf-cli', username: sf.username });
      expect(ok.stdout).not.toContain(sf.accessToken);
      const unknown = await kicksaw(box, ['org', 'test', '--org', 'nobody', '--json'], { env });
      expect(unknown.code).toBe(1);
      expect(unknown.json()).toMatchObject({ error: { code: 'ORG_UNKNOWN' } });
    });
  });

  it("the project's kicksaw.toml is found by walking up and wins; secrets in it are refused", async () => {
    await withBox(async (box) => {
      await loginWithToken(box, sf, 'tok');
      const project = join(box.dir, 'project');
      const deep = join(project, 'a', 'b');
      await mkdir(deep, { recursive: true });
      await writeFile(
        join(project, 'kicksaw.toml'),
        `defaultOrg = "shared"\n[orgs.shared]\ninstanceUrl = "${sf.instanceUrl}"\n`,
      );
      const test = await kicksaw(box, ['org', 'test', '--json'], {
        cwd: deep,
        env: { SF_ACCESS_TOKEN: sf.accessToken },
      });
      expect(test.code, test.stderr).toBe(0);
      expect(test.json()).toMatchObject({ alias: 'shared', source: 'project', overriddenBy: ['SF_ACCESS_TOKEN'] });

      await writeFile(
        join(project, 'kicksaw.toml'),
        `[orgs.shared]\ninstanceUrl = "${sf.instanceUrl}"\naccessToken = "x"\n`,
      );
      const refused = await kicksaw(box, ['org', 'list'], { cwd: deep });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('Secrets never go in config files');
    });
  });

  it('every command has --help with an example, and --version prints the version', async () => {
    const { runCli } = (await import('../dist/index.js')) as typeof import('../src/index.js');
    const commands = [
      ['org', 'login'],
      ['org', 'list'],
      ['org', 'default'],
      ['org', 'remove'],
      ['org', 'test'],
      ['warehouse', 'add'],
      ['warehouse', 'list'],
      ['warehouse', 'default'],
      ['warehouse', 'remove'],
      ['warehouse', 'test'],
      ['import'],
      ['create'],
      ['sync'],
      ['retl'],
      ['query'],
      ['jobs', 'list'],
      ['jobs', 'show'],
      ['jobs', 'results'],
      ['jobs', 'abort'],
      ['jobs', 'delete'],
      ['dev'],
    ];
    for (const command of commands) {
      let text = '';
      const stdout = {
        write: (chunk: string) => {
          text += chunk;
          return true;
        },
      } as unknown as NodeJS.WritableStream;
      const { exitCode } = await runCli([...command, '--help'], { io: { stdout, stderr: stdout, env: {} } });
      expect(exitCode, command.join(' ')).toBe(0);
      expect(text, command.join(' ')).toMatch(/Examples?:\n {2}\$ kicksaw /);
    }
    await withBox(async (box) => {
      const version = await kicksaw(box, ['--version']);
      const manifest = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
        version: string;
      };
      expect(version).toMatchObject({ code: 0, stdout: `${manifest.version}\n` });
    });
  });
});
