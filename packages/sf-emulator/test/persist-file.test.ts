// The state file of `persistPath`: streamed line by line (no single JSON string of the org's size), read back by a
// restarted emulator; files of the earlier one-document format still load.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, startEmulator } from './http-support.js';

const work = mkdtempSync(join(tmpdir(), 'kicksaw-persist-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('persistPath', () => {
  it('writes one line per record and restores records, deletes, schema changes and tokens', async () => {
    const path = join(work, 'org.jsonl');
    const first = await startEmulator({
      persistPath: path,
      clock: '2024-12-01T00:00:00Z',
      generate: { Account: 3000, Widget__c: { count: 2000, fields: ['ExtId__c', 'Account__c'] } },
    });
    first.org.addField('Account', { name: 'Tier__c', type: 'string', length: 10 });
    const conn = connect(first);
    const { id } = (await conn.sobject('Account').create({ Name: 'Tiered', Tier__c: 'Gold' })) as { id: string };
    const [widget] = first.org.records('Widget__c');
    await conn.sobject('Widget__c').destroy(widget!.Id);
    await first.stop();

    const lines = readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line !== '');
    const header = JSON.parse(lines[0]!) as { format: string; version: number; org: { records: object } };
    expect(header).toMatchObject({ format: 'kicksaw-sf-emulator', version: 2, org: { records: {} } });
    expect(lines.length).toBeGreaterThan(5001);
    expect(lines).toContain(JSON.stringify({ object: 'Account' }));

    const second = await startEmulator({ persistPath: path, generate: { Account: 10 }, clock: '2024-12-01T00:10:00Z' });
    expect(second.accessToken).toBe(first.accessToken);
    const again = connect(second);
    expect((await again.query('SELECT COUNT() FROM Account')).totalSize).toBe(3001); // generate skipped: loaded
    expect((await again.query('SELECT COUNT() FROM Widget__c')).totalSize).toBe(1999);
    const tiered = (await again.sobject('Account').retrieve(id)) as Record<string, unknown>;
    expect(tiered.Tier__c).toBe('Gold');
    const deleted = await again.sobject('Widget__c').deleted('2024-12-01T00:00:00Z', '2024-12-01T00:01:00Z');
    expect(deleted.deletedRecords.map((entry) => entry.id)).toEqual([widget!.Id]);
    // The unique index is rebuilt: a duplicate external id is refused.
    await expect(
      again.sobject('Widget__c').create({ ExtId__c: second.org.records('Widget__c')[0]!.ExtId__c, Code__c: 'D' }),
    ).rejects.toMatchObject({ errorCode: 'DUPLICATE_VALUE' });
    await second.stop();
  });

  it('loads a file of the earlier one-document format', async () => {
    const path = join(work, 'old.json');
    const source = await startEmulator();
    source.org.seed('Account', [{ Name: 'Old Format Co' }]);
    writeFileSync(path, JSON.stringify({ format: 'kicksaw-sf-emulator', org: source.org.toJSON(), tokens: undefined }));
    await source.stop();
    const loaded = await startEmulator({ persistPath: path });
    expect(loaded.org.records('Account').map((record) => record.Name)).toEqual(['Old Format Co']);
    await loaded.stop();
    writeFileSync(join(work, 'bad.json'), '{"format":"something else"}\n');
    await expect(startEmulator({ persistPath: join(work, 'bad.json') })).rejects.toThrow(/not a state file/);
  });
});
