import { describe, expect, it } from 'vitest';
import { isTransient } from '../src/driver.js';
import {
  presentedName,
  quoteSnowflakeIdentifier,
  snowflakeColumnType,
  storedName,
  toSnowflakeBinds,
} from '../src/index.js';
import { canonicalSnowflakeType, sqlTypeOf } from '../src/sql.js';

describe('toSnowflakeBinds', () => {
  it('turns $n into :n outside literals, quoted names, $$ strings and comments', () => {
    expect(toSnowflakeBinds('SELECT $1, $12 FROM t WHERE a = $2')).toBe('SELECT :1, :12 FROM t WHERE a = :2');
    expect(toSnowflakeBinds(`SELECT '$1', 'it''s $2', 'a\\' $3', "col$1", "say ""$4""" FROM t`)).toBe(
      `SELECT '$1', 'it''s $2', 'a\\' $3', "col$1", "say ""$4""" FROM t`,
    );
    expect(toSnowflakeBinds('SELECT $$ $1 $$, $1 -- $2\n, /* $3 */ $4')).toBe(
      'SELECT $$ $1 $$, :1 -- $2\n, /* $3 */ :4',
    );
    // $ inside an identifier (Snowflake allows it) and positional column refs of staged files stay.
    expect(toSnowflakeBinds('SELECT a$1, t.$1 FROM x WHERE y = $1')).toBe('SELECT a$1, t.$1 FROM x WHERE y = :1');
  });
});

describe('names and types', () => {
  it('stores all-lower-case names the way Snowflake folds them and reports them back in lower case', () => {
    expect(storedName('row_key')).toBe('ROW_KEY');
    expect(storedName('_kicksaw_deleted_at')).toBe('_KICKSAW_DELETED_AT');
    expect(storedName('Id')).toBe('Id');
    expect(storedName('Account.Name')).toBe('Account.Name');
    expect(storedName('2fast')).toBe('2fast');
    expect(presentedName('ROW_KEY')).toBe('row_key');
    expect(presentedName('Ext__c')).toBe('Ext__c');
    expect(quoteSnowflakeIdentifier('Account.Name')).toBe('"Account.Name"');
    expect(quoteSnowflakeIdentifier('a"b')).toBe('"a""b"');
    expect(() => quoteSnowflakeIdentifier('')).toThrow(TypeError);
  });

  it('spells each logical type as INFORMATION_SCHEMA describes it back', () => {
    const cases = [
      [{ kind: 'id' }, { dataType: 'TEXT', length: 18 }],
      [
        { kind: 'text', length: 255 },
        { dataType: 'TEXT', length: 16_777_216 },
      ],
      [{ kind: 'boolean' }, { dataType: 'BOOLEAN' }],
      [{ kind: 'integer' }, { dataType: 'NUMBER', precision: 38, scale: 0 }],
      [
        { kind: 'decimal', precision: 18, scale: 2 },
        { dataType: 'NUMBER', precision: 18, scale: 2 },
      ],
      [{ kind: 'double' }, { dataType: 'FLOAT' }],
      [{ kind: 'date' }, { dataType: 'DATE' }],
      [{ kind: 'timestamp' }, { dataType: 'TIMESTAMP_NTZ', datetimePrecision: 3 }],
      [{ kind: 'time' }, { dataType: 'TIME', datetimePrecision: 3 }],
    ] as const;
    for (const [type, column] of cases) expect(sqlTypeOf(column)).toBe(snowflakeColumnType(type));
    expect(snowflakeColumnType({ kind: 'sql', sql: 'VARIANT' })).toBe('VARIANT');
  });
});

describe('isTransient', () => {
  it('retries network errors and 5xx, never SQL errors', () => {
    expect(isTransient({ code: 401001, message: 'Network error' })).toBe(true);
    expect(isTransient({ code: 402002 })).toBe(true);
    expect(isTransient({ response: { statusCode: 503 } })).toBe(true);
    expect(isTransient(new Error('socket hang up'))).toBe(true);
    expect(isTransient({ message: 'x', cause: { code: 'ECONNRESET' } })).toBe(true);
    expect(isTransient({ code: '002003', message: 'Object does not exist' })).toBe(false);
    expect(isTransient({ response: { statusCode: 403 } })).toBe(false);
  });
});

describe('canonicalSnowflakeType', () => {
  it("spells Snowflake's aliases the way INFORMATION_SCHEMA reports them (sqlTypeOf), leaving unknown text alone", () => {
    const cases: Array<[string, string]> = [
      ['int', 'NUMBER(38,0)'],
      ['BIGINT', 'NUMBER(38,0)'],
      ['number', 'NUMBER(38,0)'],
      ['DECIMAL(10, 2)', 'NUMBER(10,2)'],
      ['numeric(5)', 'NUMBER(5,0)'],
      ['STRING', 'VARCHAR'],
      ['text', 'VARCHAR'],
      ['VARCHAR(16777216)', 'VARCHAR'],
      ['char', 'VARCHAR(1)'],
      ['TIMESTAMP', 'TIMESTAMP_NTZ(9)'],
      ['datetime', 'TIMESTAMP_NTZ(9)'],
      ['timestamp_ltz(3)', 'TIMESTAMP_LTZ(3)'],
      ['TIME', 'TIME(9)'],
      ['double precision', 'FLOAT'],
      ['REAL', 'FLOAT'],
      ['variant', 'VARIANT'],
      ["VARCHAR(20) COLLATE 'en'", "VARCHAR(20) COLLATE 'en'"],
      ['GEOGRAPHY', 'GEOGRAPHY'],
    ];
    for (const [written, canonical] of cases)
      expect([written, canonicalSnowflakeType(written)]).toEqual([written, canonical]);
    expect(snowflakeColumnType({ kind: 'sql', sql: 'int' })).toBe('NUMBER(38,0)');
    expect(sqlTypeOf({ dataType: 'NUMBER', precision: 38, scale: 0 })).toBe(canonicalSnowflakeType('INTEGER'));
    expect(sqlTypeOf({ dataType: 'TEXT', length: 16777216 })).toBe(canonicalSnowflakeType('STRING'));
    expect(sqlTypeOf({ dataType: 'TIMESTAMP_NTZ', datetimePrecision: 9 })).toBe(canonicalSnowflakeType('DATETIME'));
  });
});
