// Writes a realistic 10-column CSV of `rows` rows (~150 bytes a row) to `path`, streaming (flat memory).

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

const FIRST = ['Ada', 'Bob', 'Chloé', 'Dmitri', 'Eve', 'François', 'Grace', 'Hiro', 'Inès', 'José'];
const LAST = ['Lovelace', 'Smith', 'Dupont', 'Ivanov', "O'Brien", 'Müller', 'Hopper', 'Tanaka', 'García', 'Nowak'];
const NOTES = [
  'Imported from the spring campaign',
  'VIP customer since 2019',
  'Called twice, left "voicemail"',
  'Prefers email, not phone',
  'Met at expo; follow up next week',
];

/** One data line (without line ending) for row `i` (1-based). */
export function lineFor(i) {
  const first = FIRST[i % 10];
  const last = LAST[(i * 7) % 10];
  const day = (i % 28) + 1;
  const month = (i % 12) + 1;
  const note = NOTES[i % 5];
  const quotedNote = /[",;]/.test(note) ? `"${note.replaceAll('"', '""')}"` : note;
  return [
    `EXT-${String(i).padStart(8, '0')}`,
    first,
    last,
    `${first.toLowerCase()}.${last.toLowerCase().replace(/\W/g, '')}${i}@example.com`,
    `+1 555 ${String(i % 10_000_000).padStart(7, '0')}`,
    `"${Math.floor(i * 13.7) % 100_000},${String(i % 100).padStart(2, '0')}"`,
    `${String(day).padStart(2, '0')}/${String(month).padStart(2, '0')}/19${50 + (i % 50)}`,
    `2024-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')} ${String(i % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}`,
    i % 3 === 0 ? 'yes' : 'no',
    quotedNote,
  ].join(',');
}

export const HEADER = 'External Id,First Name,Last Name,Email,Phone,Amount,Birth Date,Created At,Active,Notes';

export async function generateCsv(path, rows) {
  const out = createWriteStream(path);
  let batch = `${HEADER}\n`;
  for (let i = 1; i <= rows; i++) {
    batch += `${lineFor(i)}\n`;
    if (batch.length > 1 << 20) {
      if (!out.write(batch)) await once(out, 'drain');
      batch = '';
    }
  }
  out.end(batch);
  await once(out, 'finish');
}
