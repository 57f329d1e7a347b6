// describe/layouts through the real jsforce (sobject().layouts()): answered, no longer routed to upsert by external id.
import type { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectDefinition, SalesforceEmulator } from '../src/index.js';
import { api, connect, PART, raw, startEmulator, WIDGET } from './http-support.js';

/** An object with two record types of its own. */
const GADGET: ObjectDefinition = {
  name: 'Gadget__c',
  label: 'Gadget',
  fields: [{ name: 'Size__c', type: 'picklist', picklistValues: ['S', 'L'] }],
  recordTypes: [{ developerName: 'Retail' }, { developerName: 'Wholesale' }],
};

let sf: SalesforceEmulator;
let conn: Connection;
beforeAll(async () => {
  sf = await startEmulator({ objects: [WIDGET, PART, GADGET] });
  conn = connect(sf);
});
afterAll(async () => {
  await sf.stop();
});

interface LayoutItem {
  editableForNew: boolean;
  required: boolean;
  layoutComponents: Array<{ type: string; value: string; details: { name: string } }>;
}
interface Layout {
  id: string;
  detailLayoutSections: Array<{ heading: string; layoutRows: Array<{ layoutItems: LayoutItem[] }> }>;
  editLayoutSections: Array<{ heading: string; layoutRows: Array<{ layoutItems: LayoutItem[] }> }>;
  relatedLists: Array<{ name: string; sobject: string; field: string }>;
}

const fieldsOf = (sections: Layout['detailLayoutSections']) =>
  sections.flatMap((s) =>
    s.layoutRows.flatMap((row) => row.layoutItems.map((item) => item.layoutComponents[0]!.value)),
  );

describe('describe/layouts', () => {
  it('answers a well-formed layouts document for an object without record types', async () => {
    const result = (await conn.sobject('Widget__c').layouts()) as unknown as {
      layouts: Layout[];
      recordTypeMappings: unknown[];
      recordTypeSelectorRequired: boolean[];
    };
    expect(result.recordTypeMappings).toEqual([]);
    expect(result.recordTypeSelectorRequired).toEqual([false]);
    expect(result.layouts).toHaveLength(1);
    const layout = result.layouts[0]!;
    expect(layout.id).toMatch(/^00h\w{15}$/);
    const writable = fieldsOf(layout.editLayoutSections);
    expect(writable).toEqual(expect.arrayContaining(['Name', 'ExtId__c', 'Code__c', 'Account__c']));
    expect(writable).not.toContain('Id');
    expect(writable).not.toContain('SystemModstamp');
    const code = layout.editLayoutSections[0]!.layoutRows.flatMap((row) => row.layoutItems).find(
      (item) => item.layoutComponents[0]!.value === 'Code__c',
    );
    expect(code).toMatchObject({ editableForNew: true, required: true });
    expect(code?.layoutComponents[0]).toMatchObject({ type: 'Field', details: { name: 'Code__c' } });
    expect(layout.detailLayoutSections.map((s) => s.heading)).toEqual(['Information', 'System Information']);
    // Part__c's lookup names no child relationship: no related list.
    expect(layout.relatedLists).toEqual([]);
    const account = (await conn.sobject('Account').layouts()) as unknown as { layouts: Layout[] };
    expect(account.layouts[0]!.relatedLists).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'Contacts', sobject: 'Contact', field: 'AccountId' })]),
    );
    // Nothing was upserted by an external id field called "describe".
    expect(sf.org.records('Widget__c')).toHaveLength(0);
  });

  it('maps every record type to the layout, and describe/layouts/{recordTypeId} answers it', async () => {
    const result = (await conn.sobject('Gadget__c').layouts()) as unknown as {
      layouts: Layout[];
      recordTypeMappings: Array<{
        developerName: string;
        master: boolean;
        layoutId: string;
        recordTypeId: string;
        urls: { layout: string };
        picklistsForRecordType: Array<{ picklistName: string }>;
      }>;
      recordTypeSelectorRequired: boolean[];
    };
    const layoutId = result.layouts[0]!.id;
    expect(result.recordTypeMappings.map((m) => [m.developerName, m.master, m.layoutId])).toEqual([
      ['Retail', false, layoutId],
      ['Wholesale', false, layoutId],
      ['Master', true, layoutId],
    ]);
    expect(result.recordTypeSelectorRequired).toEqual([true]);
    expect(result.recordTypeMappings[0]!.picklistsForRecordType).toEqual([
      expect.objectContaining({ picklistName: 'Size__c' }),
    ]);
    const describe = await conn.sobject('Gadget__c').describe();
    for (const info of describe.recordTypeInfos) {
      const url = (info.urls as { layout: string }).layout;
      const one = (await conn.request(url)) as Layout;
      expect(one.id).toBe(layoutId);
      expect(fieldsOf(one.editLayoutSections)).toContain('Size__c');
    }
    const missing = await raw(sf, 'GET', api(sf, '/sobjects/Gadget__c/describe/layouts/012000000000999AAA'));
    expect(missing.status).toBe(404);
    const post = await raw(sf, 'PATCH', api(sf, '/sobjects/Gadget__c/describe/layouts'), { body: '{}' });
    expect(post.status).toBe(405);
    expect(sf.org.records('Gadget__c')).toHaveLength(0);
  });
});
