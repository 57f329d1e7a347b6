import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { resolveRetry, runBatch } from '../src/batch.js';
import { errorName, isFatalRequestError, isRetryableRequestError } from '../src/errors.js';
import { MAX_MESSAGE_BYTES, messageSize } from '../src/index.js';
import { decodeAndCheck, describeIssues, jsonDecoder } from '../src/schema.js';

describe('messageSize', () => {
  it('counts UTF-8 bytes of the body and of each attribute name, type and value', () => {
    expect(messageSize('{"a":1}')).toBe(7);
    expect(messageSize('é')).toBe(2);
    expect(
      messageSize('{"a":1}', {
        source: { DataType: 'String', StringValue: 'crm' },
        raw: { DataType: 'Binary', BinaryValue: new Uint8Array(5) },
      }),
    ).toBe(7 + 6 + 6 + 3 + 3 + 6 + 5);
    expect(MAX_MESSAGE_BYTES).toBe(1_048_576);
  });
});

describe('schema checks', () => {
  it('turns a body that is not JSON, a failing schema, and a throwing schema into issues', async () => {
    const schema = z.object({ n: z.number() });
    expect(await decodeAndCheck(schema, '{"n":1}', jsonDecoder)).toEqual({ ok: true, value: { n: 1 } });
    const notJson = await decodeAndCheck(schema, '{', jsonDecoder);
    expect(notJson.ok === false && notJson.issues[0]?.message).toMatch(/^The message body could not be decoded/);
    const wrong = await decodeAndCheck(schema, '{"n":"x"}', jsonDecoder);
    expect(wrong.ok === false && describeIssues(wrong.issues)).toMatch(/^n: /);
    const throwing = z.object({ n: z.number() }).refine(() => {
      throw new Error('bug in a refinement');
    });
    const thrown = await decodeAndCheck(throwing, '{"n":1}', jsonDecoder);
    expect(thrown.ok === false && thrown.issues[0]?.message).toMatch(/bug in a refinement/);
  });
});

describe('error classes', () => {
  it('tells fatal, transient and sender errors apart', () => {
    const sdk = (name: string, fault: 'client' | 'server', status: number) =>
      Object.assign(new Error(name), { name, $fault: fault, $metadata: { httpStatusCode: status } });
    expect(isFatalRequestError(sdk('QueueDoesNotExist', 'client', 400))).toBe(true);
    expect(isFatalRequestError(sdk('AccessDenied', 'client', 403))).toBe(true);
    expect(isRetryableRequestError(sdk('RequestThrottled', 'client', 400))).toBe(true);
    expect(isRetryableRequestError(sdk('InternalError', 'server', 500))).toBe(true);
    expect(isRetryableRequestError(sdk('InvalidMessageContents', 'client', 400))).toBe(false);
    expect(isRetryableRequestError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
    expect(errorName(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
  });
});

describe('runBatch', () => {
  it('reports an entry SQS left out of its answer without sending it again', async () => {
    let calls = 0;
    const run = await runBatch(
      [{ Id: '0' }, { Id: '1' }],
      async () => {
        calls += 1;
        return { Successful: [{ Id: '0' }], Failed: [] };
      },
      resolveRetry({ baseDelayMs: 0 }),
    );
    expect(calls).toBe(1);
    expect(run.outcomes.get('0')).toMatchObject({ ok: true });
    expect(run.outcomes.get('1')).toMatchObject({ ok: false, failure: { code: 'SQS_ENTRY_UNREPORTED' } });
  });

  it('refuses retry settings out of range', () => {
    expect(() => resolveRetry({ maxAttempts: 0 })).toThrow(RangeError);
    expect(() => resolveRetry({ baseDelayMs: -1 })).toThrow(/retry.baseDelayMs/);
  });
});
