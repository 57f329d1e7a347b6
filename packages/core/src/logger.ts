import { redact, redactString } from './redact.js';

/** Structured context attached to a log line. */
export type LogContext = Record<string, unknown>;

/**
 * The narrow logger every kicksaw package writes to. The console logger, {@link silentLogger},
 * pino and the AWS Lambda Powertools Logger all fit it.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * const logger: Logger = pino(); // pino's (obj, msg) order differs: wrap it, see the README
 * ```
 */
export interface Logger {
  debug(message: string, context?: LogContext): void;
  info(message: string, context?: LogContext): void;
  warn(message: string, context?: LogContext): void;
  error(message: string, context?: LogContext): void;
}

/** Log levels, least to most severe, plus `silent`. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Options of {@link createConsoleLogger}. */
export interface ConsoleLoggerOptions {
  /** Lines below this level are dropped. Default `info`. */
  level?: LogLevel;
  /** `json`: one JSON object a line (CloudWatch-friendly). `text`: `LEVEL message {context}`. Default `json`. */
  format?: 'json' | 'text';
  /** Fields added to every line, e.g. `{ service: 'contacts-import' }`. Redacted like any context. */
  base?: LogContext;
  /** Where lines go. Default: the global `console`. */
  console?: Pick<Console, 'debug' | 'info' | 'warn' | 'error'>;
  /** The clock, for tests. Default `() => new Date()`. */
  now?: () => Date;
}

/**
 * A level-filtered logger writing to the console. Every message and context passes through
 * {@link redact}, so a token or password that slips into a log call is masked.
 *
 * @example
 * ```ts
 * const logger = createConsoleLogger({ level: 'debug', base: { service: 'import' } });
 * logger.info('job closed', { jobId: '750xx0000000001AAA' });
 * // {"level":"info","time":"2026-11-21T10:00:00.000Z","message":"job closed","service":"import","jobId":"750xx0000000001AAA"}
 * ```
 */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const threshold = LEVEL_RANK[options.level ?? 'info'];
  const format = options.format ?? 'json';
  const out = options.console ?? console;
  const now = options.now ?? (() => new Date());
  const base = options.base ? redact(options.base) : undefined;

  const write = (level: Exclude<LogLevel, 'silent'>, message: string, context?: LogContext) => {
    if (LEVEL_RANK[level] < threshold) return;
    const safeMessage = redactString(message);
    const safeContext = context ? redact(context) : undefined;
    if (format === 'json') {
      const line = { level, time: now().toISOString(), message: safeMessage, ...base, ...safeContext };
      out[level](JSON.stringify(line, jsonReplacer));
    } else {
      const extra = { ...base, ...safeContext };
      const suffix = Object.keys(extra).length > 0 ? ` ${JSON.stringify(extra, jsonReplacer)}` : '';
      out[level](`${level.toUpperCase()} ${safeMessage}${suffix}`);
    }
  };

  return {
    debug: (message, context) => write('debug', message, context),
    info: (message, context) => write('info', message, context),
    warn: (message, context) => write('warn', message, context),
    error: (message, context) => write('error', message, context),
  };
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  return value;
}

const noop = () => {};

/**
 * A logger that drops everything. The default of library functions that take an optional logger.
 *
 * @example
 * ```ts
 * await ingest({ ...options, logger: silentLogger });
 * ```
 */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });
