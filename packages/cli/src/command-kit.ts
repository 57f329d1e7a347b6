import { type Command, InvalidArgumentError } from 'commander';
import { CommandContext } from './context.js';
import type { CliError } from './errors.js';
import type { CliIo, GlobalFlags } from './output.js';

/** What the runner hands to every action. */
export interface RunState {
  io: CliIo;
  signal: AbortSignal;
  /** The exit code the action asked for (0, or 3 for row failures). */
  exitCode: number;
  /** Set by a command that left work behind on Ctrl-C: the process must end now. */
  forceExit: boolean;
}

/** An action: gets the context, the positional arguments and the command's own options; returns an exit code. */
export type Action<O> = (ctx: CommandContext, args: string[], options: O) => Promise<number | undefined>;

/** Wraps an action for commander: builds the context from the global flags. */
export function action<O>(state: RunState, fn: Action<O>): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const options = command.opts() as O;
    const flags = command.optsWithGlobals() as GlobalFlags;
    const positional = args.slice(0, -2).flatMap((a) => (Array.isArray(a) ? a : a === undefined ? [] : [String(a)]));
    const ctx = new CommandContext(state.io, flags, state.signal);
    state.exitCode = (await fn(ctx, positional, options)) ?? 0;
  };
}

/** Adds an "Example" section to a command's help. */
export function example<C extends Command>(command: C, ...lines: string[]): C {
  command.addHelpText(
    'after',
    `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`,
  );
  return command;
}

/** Rejects with an interruption error when the signal aborts; resolves with the promise otherwise. */
export function untilAborted<T>(signal: AbortSignal, promise: Promise<T>, onAbort: () => CliError): Promise<T> {
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const listener = () => reject(onAbort());
    signal.addEventListener('abort', listener, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', listener);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', listener);
        reject(error);
      },
    );
  });
}

/** Parses a whole positive number option. */
export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number.`);
    return n;
  };
}
