import { KicksawError } from '@kicksaw/core';
import { describe, expect, it } from 'vitest';
import { parseCsvChunk } from '../src/csv-reader.js';
import { CsvReadError, TransportError } from '../src/errors.js';

describe('internal errors are KicksawErrors with a code', () => {
  it('TransportError keeps its name, message and cause, and says SF_TRANSPORT_FAILED', () => {
    const cause = new Error('read ECONNRESET');
    const error = new TransportError('read ECONNRESET', { cause });
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toBeInstanceOf(KicksawError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('TransportError');
    expect(error.code).toBe('SF_TRANSPORT_FAILED');
    expect(error.message).toBe('read ECONNRESET');
    expect(error.cause).toBe(cause);
    expect('cause' in new TransportError('closed early')).toBe(false);
  });

  it('CsvReadError is what an unclosed quote at the end throws, with code CSV_UNCLOSED_QUOTE', () => {
    let thrown: unknown;
    try {
      parseCsvChunk('a,"open', true, []);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CsvReadError);
    expect(thrown).toBeInstanceOf(KicksawError);
    expect((thrown as CsvReadError).name).toBe('CsvReadError');
    expect((thrown as CsvReadError).code).toBe('CSV_UNCLOSED_QUOTE');
    expect((thrown as CsvReadError).message).toBe('Unclosed quote at the end of the CSV');
  });
});
