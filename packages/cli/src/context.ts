import type { Connection } from 'jsforce';
import { type LoadedConfig, loadConfig } from './config.js';
import type { CliIo, GlobalFlags } from './output.js';
import { Output } from './output.js';
import { openConnection, type ResolvedOrg, resolveOrg } from './salesforce.js';

/** What a command gets: the streams, the output, the configuration and the org, loaded on demand. */
export class CommandContext {
  readonly out: Output;
  private configPromise: Promise<LoadedConfig> | undefined;
  private orgPromise: Promise<ResolvedOrg> | undefined;
  private connectionPromise: Promise<Connection> | undefined;
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM. */
  readonly signal: AbortSignal;

  constructor(
    readonly io: CliIo,
    readonly flags: GlobalFlags,
    signal: AbortSignal,
  ) {
    this.out = new Output(io, flags);
    this.signal = signal;
  }

  get env(): Record<string, string | undefined> {
    return this.io.env;
  }

  config(): Promise<LoadedConfig> {
    this.configPromise ??= loadConfig(this.io.cwd, this.io.env);
    return this.configPromise;
  }

  /** Forgets the loaded configuration (after a command wrote it). */
  reloadConfig(): void {
    this.configPromise = undefined;
  }

  org(name = this.flags.org): Promise<ResolvedOrg> {
    if (name !== this.flags.org) return this.config().then((config) => resolveOrg(name, config, this.env, this.out));
    this.orgPromise ??= this.config().then((config) => resolveOrg(name, config, this.env, this.out));
    return this.orgPromise;
  }

  connection(): Promise<Connection> {
    this.connectionPromise ??= this.org().then((org) => openConnection(org, this.out, this.env));
    return this.connectionPromise;
  }
}
