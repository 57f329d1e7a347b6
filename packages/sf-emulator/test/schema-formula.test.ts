import { describe, expect, it } from 'vitest';
import { compileFormula } from '../src/schema/formula.js';

const run = (formula: string, record: Record<string, unknown> = {}, options = {}) =>
  compileFormula(formula, options)(record);

describe('compileFormula', () => {
  it('does arithmetic with precedence, parentheses, unary minus and powers', () => {
    expect(run('1 + 2 * 3')).toBe(7);
    expect(run('(1 + 2) * 3')).toBe(9);
    expect(run('(-2) ^ 2 + 10 / 4')).toBe(6.5);
    expect(run('-Qty__c * 2', { Qty__c: 3 })).toBe(-6);
    expect(run('Qty__c * Price__c', { Qty__c: 3, Price__c: 2.5 })).toBe(7.5);
    expect(run('10 / 0')).toBeNull();
  });

  it('treats blanks as blanks unless told to treat them as zero', () => {
    expect(run('Qty__c + 1', { Qty__c: null })).toBeNull();
    expect(run('Qty__c + 1', { Qty__c: null }, { blankAsZero: true })).toBe(1);
  });

  it('compares, combines booleans and branches', () => {
    expect(run('IF(Amount__c > 100, "big", "small")', { Amount__c: 150 })).toBe('big');
    expect(run('IF(AND(A__c, NOT(B__c)), 1, 0)', { A__c: true, B__c: false })).toBe(1);
    expect(run('A__c && (B__c || C__c)', { A__c: true, B__c: false, C__c: true })).toBe(true);
    expect(run('CASE(Stage__c, "Won", 1, "Lost", 0, -1)', { Stage__c: 'Lost' })).toBe(0);
    expect(run('Name__c = "x"', { Name__c: 'x' })).toBe(true);
    expect(run('Name__c <> "x"', { Name__c: 'y' })).toBe(true);
  });

  it('has the common text, blank and number functions', () => {
    const record = { Name__c: '  Acme Corp ', Code__c: null, Stage__c: 'Closed Won' };
    expect(run('UPPER(TRIM(Name__c))', record)).toBe('ACME CORP');
    expect(run('LEFT(TRIM(Name__c), 4) & "-" & RIGHT(TRIM(Name__c), 4)', record)).toBe('Acme-Corp');
    expect(run('MID("Salesforce", 6, 5)')).toBe('force');
    expect(run('LEN(Name__c)', record)).toBe(12);
    expect(run('ISBLANK(Code__c)', record)).toBe(true);
    expect(run('BLANKVALUE(Code__c, "none")', record)).toBe('none');
    expect(run('CONTAINS(Stage__c, "Won") && BEGINS(Stage__c, "Closed")', record)).toBe(true);
    expect(run('ISPICKVAL(Stage__c, "Closed Won")', record)).toBe(true);
    expect(run('ROUND(2.345, 2) + ABS(-1) + FLOOR(1.7) + CEILING(1.2) + MOD(7, 3)')).toBe(2.35 + 1 + 1 + 2 + 1);
    expect(run('MAX(1, 5, 3) - MIN(4, 2)')).toBe(3);
    expect(run('VALUE("12.5") + 1')).toBe(13.5);
    expect(run('TEXT(42)')).toBe('42');
  });

  it('does date arithmetic and DATE()', () => {
    expect(run('Due__c + 30', { Due__c: '2024-01-15' })).toBe('2024-02-14');
    expect(run('Due__c - Start__c', { Due__c: '2024-03-01', Start__c: '2024-02-01' })).toBe(29);
    expect(run('DATE(2024, 2, 29)')).toBe('2024-02-29');
    expect(run('DATE(2023, 2, 29)')).toBeNull();
    expect(String(run('TODAY()'))).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('reads percent fields as fractions when told which fields are percents', () => {
    expect(
      run(
        'Total__c * (1 - Discount__c)',
        { Total__c: 200, Discount__c: 25 },
        { percentFields: new Set(['discount__c']) },
      ),
    ).toBe(150);
  });

  it('gives null for what it cannot evaluate, never a wrong value', () => {
    expect(run('Account__r.Name', { Account__r: { Name: 'x' } })).toBeNull();
    expect(run('$User.Id')).toBeNull();
    expect(run('VLOOKUP(a, b, c)')).toBeNull();
    expect(run('1 +')).toBeNull();
    expect(run('"unterminated')).toBeNull();
  });
});
