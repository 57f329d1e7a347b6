// Cuts mapped rows into Bulk API CSV parts of at most maxBytes, for the csv pipeline benchmark: what
// @kicksaw/csv's splitCsv did before it was removed (nothing in the packages used it; sf-bulk builds its parts
// itself), written with the public RowEncoder: header from the fields, null as #N/A, one part in one
// allocation of maxBytes whose untouched pages cost nothing.
// A namespace import: a build without RowEncoder (before) still loads this file (it then uses splitCsv).
import * as csv from '@kicksaw/csv';

export async function* bulkParts(rows, { fields, maxBytes, onRejected }) {
  const encoder = new csv.RowEncoder({ nullAs: '#N/A' });
  const header = encoder.encode(fields);
  const headerBytes = Buffer.byteLength(header);
  const cells = new Array(fields.length);
  let buffer;
  let used = 0;
  let numbers = [];
  let part = 0;
  for await (const batch of rows.batches()) {
    for (const item of batch) {
      if (!item.ok) {
        onRejected(item);
        continue;
      }
      const record = item.record;
      for (let i = 0; i < fields.length; i++) cells[i] = record[fields[i]];
      const line = encoder.encode(cells);
      const bytes = Buffer.byteLength(line);
      if (headerBytes + bytes > maxBytes) {
        onRejected(item);
        continue;
      }
      if (numbers.length > 0 && used + bytes > maxBytes) {
        yield { csv: buffer.subarray(0, used), rows: numbers, bytes: used, part: ++part };
        buffer = undefined;
        numbers = [];
      }
      if (buffer === undefined) {
        buffer = Buffer.allocUnsafeSlow(maxBytes);
        used = buffer.write(header, 0, 'utf8');
      }
      used += buffer.write(line, used, 'utf8');
      numbers.push(item.row);
    }
  }
  if (numbers.length > 0) yield { csv: buffer.subarray(0, used), rows: numbers, bytes: used, part: ++part };
}
