import { once } from 'node:events';
import type { ServerResponse } from 'node:http';

export { newId as makeId } from '../ids.js';

/** Salesforce's date format in Bulk job info: `2024-05-01T12:00:00.000+0000`. */
export function sfDate(time: number): string {
  return new Date(time).toISOString().replace('Z', '+0000');
}

/** Writes text lines to a response in chunks, honouring back-pressure. */
export async function streamLines(
  res: ServerResponse,
  head: string,
  lines: ArrayLike<string>,
  eol: string,
  from = 0,
  to = lines.length,
): Promise<void> {
  let buffer = head;
  for (let i = from; i < to; i++) {
    buffer += lines[i] + eol;
    if (buffer.length >= 64 * 1024) {
      if (!res.write(buffer)) await once(res, 'drain');
      buffer = '';
    }
  }
  res.end(buffer);
}
