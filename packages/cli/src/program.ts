import { createRequire } from 'node:module';
import { KicksawError } from '@kicksaw/core';
import { Command, CommanderError, Option } from 'commander';
import type { RunState } from './command-kit.js';
import { registerDev } from './commands/dev.js';
import { registerImport } from './commands/import.js';
import { registerJobs } from './commands/jobs.js';
import { registerLakehouse } from './commands/lakehouse.js';
import { registerOrg } from './commands/org.js';
import { registerQuery } from './commands/query.js';
import { registerWarehouse } from './commands/warehouse.js';
import { CliError, EXIT_CODES } from './errors.js';
import { type CliIo, Output } from './output.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** Options of {@link runCli}. */
export interface RunCliOptions {
  /** Streams, environment and working folder. Default: the process's. */
  io?: Partial<CliIo>;
  /** Aborts running work as Ctrl-C does. */
  signal?: AbortSignal;
}

/** What {@link runCli} ended with. */
export interface RunCliResult {
  /** 0 done, 3 done with row failures, 1 failed, 2 usage error. */
  exitCode: number;
  /** True when work was left running on interruption and the process should end at once. */
  forceExit: boolean;
}

function buildProgram(state: RunState): Command {
  const program = new Command('kicksaw')
    .description(
      'Move data between files, S3, Salesforce and warehouses from a terminal.\n' +
        'Exit codes: 0 done (every row succeeded), 3 done with row failures (the report is named), 1 failed, 2 usage error.',
    )
    .version(version, '--version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addOption(
      new Option('--org <name>', 'the org: a stored alias, or an alias/username of the Salesforce CLI').env(
        'KICKSAW_ORG',
      ),
    )
    .addOption(
      new Option('--warehouse <name>', 'the warehouse (default: DuckDB at .kicksaw/warehouse.duckdb)').env(
        'KICKSAW_WAREHOUSE',
      ),
    )
    .option('--json', 'print one JSON document on stdout (schemas in the README)')
    .option('-q, --quiet', 'print nothing but the result and errors')
    .option('-v, --verbose', 'print debug lines on stderr')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => state.io.stdout.write(text),
      writeErr: (text) => state.io.stderr.write(text),
    })
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false });
  program.addHelpText(
    'after',
    '\nExamples:\n  $ kicksaw org login --alias prod --instance-url https://acme.my.salesforce.com --access-token "$TOKEN"\n  $ kicksaw import contacts.csv --object Contact --operation upsert --external-id Email\n  $ kicksaw query "SELECT Id, Name FROM Account" --format table\n',
  );
  registerOrg(program, state);
  registerWarehouse(program, state);
  registerImport(program, state);
  registerLakehouse(program, state);
  registerQuery(program, state);
  registerJobs(program, state);
  registerDev(program, state);
  return program;
}

/**
 * Runs `kicksaw` with the given arguments (without `node` and the script) and returns its exit code.
 * Never calls `process.exit`.
 *
 * @example
 * ```ts
 * import { runCli } from '@kicksaw/cli';
 * const { exitCode } = await runCli(['org', 'list', '--json']);
 * ```
 */
export async function runCli(argv: string[], options: RunCliOptions = {}): Promise<RunCliResult> {
  const io: CliIo = {
    stdout: options.io?.stdout ?? process.stdout,
    stderr: options.io?.stderr ?? process.stderr,
    stdin: options.io?.stdin ?? process.stdin,
    env: options.io?.env ?? process.env,
    cwd: options.io?.cwd ?? process.cwd(),
  };
  const state: RunState = { io, signal: options.signal ?? new AbortController().signal, exitCode: 0, forceExit: false };
  const program = buildProgram(state);
  const json = argv.includes('--json');
  const out = new Output(io, { json, quiet: argv.includes('--quiet') || argv.includes('-q') });
  const command = commandName(argv);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return { exitCode: state.exitCode, forceExit: state.forceExit };
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      ) {
        return { exitCode: 0, forceExit: false };
      }
      if (json) writeJsonError(out, command, 'USAGE', error.message.replace(/^error: /, ''), EXIT_CODES.usage);
      return { exitCode: EXIT_CODES.usage, forceExit: false };
    }
    const exitCode = error instanceof CliError ? error.exitCode : EXIT_CODES.failed;
    reportError(out, command, error, exitCode);
    return { exitCode, forceExit: state.forceExit };
  }
}

function commandName(argv: string[]): string {
  const words: string[] = [];
  for (const arg of argv) {
    if (arg.startsWith('-')) break;
    words.push(arg);
    if (words.length === 2) break;
  }
  const groups = new Set(['org', 'warehouse', 'jobs']);
  return groups.has(words[0] ?? '') ? words.join(' ') : (words[0] ?? '');
}

function writeJsonError(
  out: Output,
  command: string,
  code: string,
  message: string,
  exitCode: number,
  extra = {},
): void {
  out.result({ ok: false, command, exitCode, error: { code, message, ...extra } }, () => '');
}

function reportError(out: Output, command: string, error: unknown, exitCode: number): void {
  const e = error as Error & { code?: string };
  const message = e?.message ?? String(error);
  const hint = error instanceof CliError ? error.hint : hintFor(error);
  const done = error instanceof CliError ? error.done : [];
  const lines = [`${out.style('red', 'kicksaw: error:')} ${message}`];
  if (done.length) lines.push(`Done before it: ${done.join('; ')}`);
  if (hint) lines.push(hint);
  if (out.verbose && e?.stack) lines.push(out.style('dim', e.stack));
  out.io.stderr.write(`${lines.join('\n')}\n`);
  if (out.json) {
    writeJsonError(out, command, error instanceof KicksawError ? error.code : (e?.code ?? 'ERROR'), message, exitCode, {
      ...(hint ? { hint } : {}),
      ...(done.length ? { done } : {}),
    });
  }
}

function hintFor(error: unknown): string | undefined {
  const e = error as { code?: string; setting?: string };
  if (e?.code === 'CONFIG_MISSING' || e?.code === 'CONFIG_INVALID') return 'Check the setting named above.';
  return undefined;
}
