import { describe, expect, it } from 'vitest';
import { createOrg } from '../src/org/index.js';
import { NOW, PART, WIDGET } from './fixtures/objects.js';

describe('toJSON / fromJSON', () => {
  it('round-trips records, deleted rows, indexes, id and autonumber counters through JSON text', () => {
    const org = createOrg({ objects: [WIDGET, PART], integrationObjects: true, now: () => NOW });
    const [kept, removed] = org.dml('insert', 'Widget__c', [{ Ext__c: 'keep', Qty__c: 2 }, { Ext__c: 'gone' }]);
    org.dml('delete', 'Widget__c', [{ Id: removed!.id }]);
    org.dml('insert', 'Part__c', [{ Widget__c: kept!.id, Size__c: 'S' }]);
    const text = JSON.stringify(org.toJSON());

    const restored = createOrg({
      objects: [WIDGET, PART],
      integrationObjects: true,
      now: () => NOW,
      fromJSON: JSON.parse(text),
    });
    expect(restored.orgId).toBe(org.orgId);
    expect(restored.userId).toBe(org.userId);
    expect(restored.get(kept!.id!)).toMatchObject({ Ext__c: 'keep', Qty__c: 2, Serial__c: 'W-0001', Total__c: 0 });
    expect(restored.get(removed!.id!, { includeDeleted: true })!.IsDeleted).toBe(true);
    expect(restored.query('SELECT COUNT() FROM Widget__c', { all: true }).totalSize).toBe(2);
    expect(restored.findByExternalId('Widget__c', 'Ext__c', 'KEEP')).toHaveLength(1);
    // The unique index is rebuilt from live rows only: 'gone' is free again, 'keep' is not.
    expect(restored.dml('insert', 'Widget__c', [{ Ext__c: 'gone' }])[0]!.success).toBe(true);
    expect(restored.dml('insert', 'Widget__c', [{ Ext__c: 'keep' }])[0]!.errors[0]!.statusCode).toBe('DUPLICATE_VALUE');
    // Counters continue: no id or autonumber is handed out twice.
    const [next] = restored.dml('insert', 'Widget__c', [{ Ext__c: 'next' }]);
    const ids = restored.records('Widget__c', { includeDeleted: true }).map((record) => record.Id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(restored.get(next!.id!)!.Serial__c).toBe('W-0004');
    expect(restored.records('User')).toHaveLength(1);
    expect(restored.records('Organization')).toHaveLength(1);
  });

  it('restores custom objects that are no longer passed as options (without their functions)', () => {
    const org = createOrg({ objects: [WIDGET], now: () => NOW });
    org.dml('insert', 'Widget__c', [{ Ext__c: 'a', Qty__c: 1, Price__c: 2 }]);
    const restored = createOrg({ fromJSON: JSON.parse(JSON.stringify(org.toJSON())), now: () => NOW });
    const [record] = restored.records('Widget__c');
    expect(record).toMatchObject({ Ext__c: 'a', Qty__c: 1, Total__c: null });
    expect(restored.compiledObject('Widget__c')!.keyPrefix).toBe(org.compiledObject('Widget__c')!.keyPrefix);
  });

  it('rejects a state it did not write', () => {
    expect(() => createOrg({ fromJSON: { records: {} } })).toThrowError(/toJSON/);
  });
});
