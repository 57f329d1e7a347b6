import { describe, expect, it } from 'vitest';
import { createConsoleLogger, REDACTED, silentLogger } from '../src/index.js';

function capture() {
  const lines: Array<[string, string]> = [];
  const sink = {
    debug: (line: string) => lines.push(['debug', line]),
    info: (line: string) => lines.push(['info', line]),
    warn: (line: string) => lines.push(['warn', line]),
    error: (line: string) => lines.push(['error', line]),
  };
  return { lines, sink };
}

const now = () => new Date('2026-11-21T10:00:00.000Z');

describe('createConsoleLogger', () => {
  it('drops lines below the level and writes JSON with base fields', () => {
    const { lines, sink } = capture();
    const logger = createConsoleLogger({ level: 'warn', console: sink, now, base: { service: 'import' } });
    logger.debug('d');
    logger.info('i');
    logger.warn('w', { jobId: '750' });
    logger.error('e');
    expect(lines.map(([level]) => level)).toEqual(['warn', 'error']);
    expect(JSON.parse(lines[0]?.[1] ?? '')).toEqual({
      level: 'warn',
      time: '2026-11-21T10:00:00.000Z',
      message: 'w',
      service: 'import',
      jobId: '750',
    });
  });

  it('defaults to info and redacts message and context', () => {
    const { lines, sink } = capture();
    const logger = createConsoleLogger({ console: sink, now, format: 'text' });
    logger.debug('hidden');
    logger.info('login with password=hunter2', { auth: { accessToken: 'abc' }, rows: 3 });
    expect(lines).toEqual([
      ['info', `INFO login with password=${REDACTED} {"auth":{"accessToken":"${REDACTED}"},"rows":3}`],
    ]);
  });

  it('silent level and silentLogger write nothing', () => {
    const { lines, sink } = capture();
    const logger = createConsoleLogger({ level: 'silent', console: sink });
    logger.error('x');
    silentLogger.error('x');
    expect(lines).toEqual([]);
  });
});
