import { type Command, Option } from 'commander';
import { action, example, type RunState } from '../command-kit.js';
import { forgetEntry, type StoredOrg, saveDefault } from '../config.js';
import { CliError } from '../errors.js';
import { table } from '../output.js';
import { nearest } from '../salesforce.js';
import { type LoginOptions, login, whoAmI } from './org-login.js';

// `kicksaw org`: its subcommands (login in org-login.ts, the browser login in org-web-login.ts).

function describeOrg(org: StoredOrg): string {
  return org.instanceUrl ?? org.loginUrl ?? '';
}

/** `kicksaw org ...` */
export function registerOrg(program: Command, state: RunState): void {
  const org = program.command('org').description('Log in to Salesforce orgs and manage the stored logins');
  registerOrgLogin(org, state);
  registerOrgList(org, state);
  registerOrgDefault(org, state);
  registerOrgRemove(org, state);
  registerOrgTest(org, state);
}

function registerOrgLogin(org: Command, state: RunState): void {
  example(
    org
      .command('login')
      .description('Log in to an org and store the login under an alias (secrets go to a mode-0600 file)')
      .requiredOption('--alias <name>', 'the name to store the login under')
      .option('--instance-url <url>', 'with --access-token: the instance URL of a session you hold')
      .option('--access-token <token>', 'a session id / access token (or SF_ACCESS_TOKEN, or typed in)')
      .option('--login-url <url>', 'login / My Domain URL (client credentials, browser login, JWT audience, password)')
      .option('--client-id <id>', "a connected app's consumer key")
      .option(
        '--client-secret <secret>',
        "the connected app's secret (with --login-url and --client-id: client credentials)",
      )
      .option('--username <user>', 'for a password or JWT login')
      .option('--password <password>', 'for a password login (or SF_PASSWORD, or typed in)')
      .option('--security-token <token>', 'appended to the password')
      .option('--jwt-key-file <file>', 'PEM private key of the JWT bearer flow (the file path is stored, not the key)')
      .option('--api-version <version>', 'API version, e.g. 62.0')
      .option('--callback-port <port>', 'browser login: the local port of the callback', '1717')
      .option('--no-browser', 'browser login: print the address, do not open a browser')
      .addOption(new Option('--set-default', 'make it the default org (the first login always is)'))
      .action(action<LoginOptions>(state, (ctx, _args, o) => login(ctx, o))),
    'kicksaw org login --alias prod --instance-url https://acme.my.salesforce.com --access-token "$TOKEN"',
    'kicksaw org login --alias ci --login-url https://acme.my.salesforce.com --client-id "$ID" --username ci@acme.com --jwt-key-file server.key',
    'kicksaw org login --alias dev --login-url https://acme--dev.sandbox.my.salesforce.com --client-id "$ID"   # browser',
  );
}

function registerOrgList(org: Command, state: RunState): void {
  example(
    org
      .command('list')
      .description('List the stored orgs (never their secrets)')
      .action(
        action(state, async (ctx) => {
          const config = await ctx.config();
          const orgs = [...config.orgs].map(([alias, { org: o, source }]) => ({
            alias,
            mode: o.mode ?? null,
            instanceUrl: o.instanceUrl ?? null,
            loginUrl: o.loginUrl ?? null,
            username: o.username ?? null,
            source,
            default: alias === config.defaultOrg,
          }));
          ctx.out.result({ ok: true, command: 'org list', defaultOrg: config.defaultOrg ?? null, orgs }, () =>
            orgs.length
              ? table(
                  ['', 'alias', 'mode', 'url', 'username', 'from'],
                  orgs.map((o) => [
                    o.default ? '*' : '',
                    o.alias,
                    o.mode,
                    describeOrg(config.orgs.get(o.alias)?.org ?? {}),
                    o.username,
                    o.source,
                  ]),
                )
              : 'No org stored yet. Log in with `kicksaw org login --alias NAME ...`.',
          );
          return 0;
        }),
      ),
    'kicksaw org list --json',
  );
}

function registerOrgDefault(org: Command, state: RunState): void {
  example(
    org
      .command('default')
      .description('Set the default org (stored or known to the Salesforce CLI)')
      .argument('<name>', 'the alias')
      .action(
        action(state, async (ctx, [name]) => {
          const config = await ctx.config();
          if (!config.orgs.has(name as string)) await ctx.org(name); // an sf CLI alias is fine; anything else fails here
          await saveDefault(config, 'orgs', name as string);
          if (config.project.defaultOrg && config.project.defaultOrg !== name) {
            ctx.out.warn(
              `${config.paths.project} sets defaultOrg = "${config.project.defaultOrg}", which wins in this project.`,
            );
          }
          ctx.out.result(
            { ok: true, command: 'org default', defaultOrg: name },
            () => `The default org is now "${name}".`,
          );
          return 0;
        }),
      ),
    'kicksaw org default prod',
  );
}

function registerOrgRemove(org: Command, state: RunState): void {
  example(
    org
      .command('remove')
      .description('Forget a stored org and its secrets')
      .argument('<name>', 'the alias')
      .action(
        action(state, async (ctx, [name]) => {
          const config = await ctx.config();
          const alias = name as string;
          if (!config.user.orgs?.[alias]) {
            const known = Object.keys(config.user.orgs ?? {});
            throw new CliError(`No stored org named "${alias}"`, {
              code: 'ORG_UNKNOWN',
              hint:
                config.orgs.get(alias)?.source === 'project'
                  ? `It is defined in ${config.paths.project}: edit that file.`
                  : known.length
                    ? `Stored orgs: ${known.join(', ')}${nearest(alias, known)}.`
                    : 'No org is stored.',
            });
          }
          const wasDefault = await forgetEntry(config, 'orgs', alias);
          ctx.out.result(
            { ok: true, command: 'org remove', removed: alias, wasDefault },
            () =>
              `Removed "${alias}"${wasDefault ? ' (it was the default org: set another with `kicksaw org default NAME`)' : ''}.`,
          );
          return 0;
        }),
      ),
    'kicksaw org remove old-sandbox',
  );
}

function registerOrgTest(org: Command, state: RunState): void {
  example(
    org
      .command('test')
      .description('Log in and ask the org who we are')
      .argument('[name]', 'the alias (default: --org, else the default org)')
      .action(
        action(state, async (ctx, [name]) => {
          const resolved = await ctx.org(name ?? ctx.flags.org);
          const who = await whoAmI(ctx, resolved);
          const document = {
            ok: true,
            command: 'org test',
            alias: resolved.name ?? null,
            source: resolved.source,
            mode: resolved.config.mode,
            instanceUrl: who.instanceUrl,
            username: who.username,
            orgId: who.orgId,
            userId: who.userId,
            apiVersion: who.apiVersion,
            overriddenBy: resolved.overriddenBy,
          };
          ctx.out.result(
            document,
            () =>
              `${resolved.name ? `"${resolved.name}"` : 'The org from SF_* variables'} works: ${who.username} at ${who.instanceUrl} (org ${who.orgId}, ${resolved.config.mode}, API ${who.apiVersion}).`,
          );
          return 0;
        }),
      ),
    'kicksaw org test prod',
  );
}
