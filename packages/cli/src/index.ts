export { CliError, EXIT_CODES, UsageError } from './errors.js';
export type { CliIo, GlobalFlags } from './output.js';
export { type RunCliOptions, type RunCliResult, runCli } from './program.js';
