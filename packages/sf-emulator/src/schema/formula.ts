/**
 * A small evaluator for Salesforce formula fields read from SFDX metadata: arithmetic, comparison, `&`,
 * `&&`/`||`, and common functions (IF, CASE, AND, OR, NOT, ISBLANK, ISNULL, BLANKVALUE, NULLVALUE, TEXT, VALUE,
 * LEN, UPPER, LOWER, TRIM, LEFT, RIGHT, MID, CONTAINS, BEGINS, ISPICKVAL, ROUND, ABS, FLOOR, CEILING, MOD, MAX,
 * MIN, TODAY, NOW, DATE). Fields of the record itself only (no cross-object paths). A formula it cannot read
 * computes `null`, never a wrong value.
 */
import { FormulaSyntaxError } from '../errors.js';

/**
 * "Now" of TODAY() and NOW(): the org computing a formula points this at its clock first (formulas are compiled
 * before any org exists, and computing is synchronous, so one slot serves every org in the process).
 */
export const formulaClock: { millis: () => number } = { millis: Date.now };

type Value = string | number | boolean | null;
type Node = (record: Record<string, unknown>) => Value;

interface Token {
  kind: 'number' | 'string' | 'name' | 'op' | 'punct';
  text: string;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < source.length) {
    const char = source[index]!;
    if (/\s/.test(char)) {
      index++;
      continue;
    }
    if (char === '/' && source[index + 1] === '*') {
      const end = source.indexOf('*/', index + 2);
      if (end < 0) throw new FormulaSyntaxError('unterminated comment');
      index = end + 2;
      continue;
    }
    if (/[0-9.]/.test(char)) {
      const match = /^(\d+\.?\d*|\.\d+)/.exec(source.slice(index));
      if (!match) throw new FormulaSyntaxError(`bad number at ${index}`);
      tokens.push({ kind: 'number', text: match[0] });
      index += match[0].length;
      continue;
    }
    if (char === '"' || char === "'") {
      let text = '';
      index++;
      while (index < source.length && source[index] !== char) {
        if (source[index] === '\\' && index + 1 < source.length) index++;
        text += source[index];
        index++;
      }
      if (source[index] !== char) throw new FormulaSyntaxError('unterminated string');
      index++;
      tokens.push({ kind: 'string', text });
      continue;
    }
    if (/[A-Za-z_$]/.test(char)) {
      const match = /^[A-Za-z_$][A-Za-z0-9_$.]*/.exec(source.slice(index))!;
      tokens.push({ kind: 'name', text: match[0] });
      index += match[0].length;
      continue;
    }
    const two = source.slice(index, index + 2);
    if (['<=', '>=', '<>', '!=', '==', '&&', '||'].includes(two)) {
      tokens.push({ kind: 'op', text: two });
      index += 2;
      continue;
    }
    if ('+-*/^&=<>!'.includes(char)) {
      tokens.push({ kind: 'op', text: char });
      index++;
      continue;
    }
    if ('(),'.includes(char)) {
      tokens.push({ kind: 'punct', text: char });
      index++;
      continue;
    }
    throw new FormulaSyntaxError(`unexpected character ${char}`);
  }
  return tokens;
}

const isBlank = (value: Value) => value === null || value === '';
const DAY = 86_400_000;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

function toNumber(value: Value, blankAsZero: boolean): number | null {
  if (value === null || value === '') return blankAsZero ? 0 : null;
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : null;
}

function dateMillis(value: Value): number | undefined {
  return typeof value === 'string' && DATE_RE.test(value) ? Date.parse(`${value}T00:00:00Z`) : undefined;
}

function compare(left: Value, right: Value): number {
  if (typeof left === 'number' && typeof right === 'number') return left - right;
  const a = String(left);
  const b = String(right);
  return a < b ? -1 : a > b ? 1 : 0;
}

class Parser {
  private position = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly blankAsZero: boolean,
    /** Lower-cased names of percent fields: formulas see 10% as 0.1. */
    private readonly percentFields: ReadonlySet<string> = new Set(),
  ) {}

  parse(): Node {
    const node = this.or();
    if (this.position !== this.tokens.length) throw new FormulaSyntaxError('trailing tokens');
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private take(text?: string): Token {
    const token = this.tokens[this.position];
    if (!token || (text !== undefined && token.text !== text)) {
      throw new FormulaSyntaxError(`expected ${text ?? 'a token'}`);
    }
    this.position++;
    return token;
  }

  private isOp(...texts: string[]): boolean {
    const token = this.peek();
    return token !== undefined && token.kind === 'op' && texts.includes(token.text);
  }

  private or(): Node {
    let left = this.and();
    while (this.isOp('||')) {
      this.take();
      const a = left;
      const b = this.and();
      left = (record) => a(record) === true || b(record) === true;
    }
    return left;
  }

  private and(): Node {
    let left = this.comparison();
    while (this.isOp('&&')) {
      this.take();
      const a = left;
      const b = this.comparison();
      left = (record) => a(record) === true && b(record) === true;
    }
    return left;
  }

  private comparison(): Node {
    const left = this.additive();
    if (!this.isOp('=', '==', '!=', '<>', '<', '>', '<=', '>=')) return left;
    const op = this.take().text;
    const right = this.additive();
    return (record) => {
      const a = left(record);
      const b = right(record);
      if (op === '=' || op === '==') return isBlank(a) && isBlank(b) ? true : a === b || String(a) === String(b);
      if (op === '!=' || op === '<>') return !(isBlank(a) && isBlank(b)) && a !== b && String(a) !== String(b);
      if (a === null || b === null) return null;
      const order = compare(a, b);
      return op === '<' ? order < 0 : op === '>' ? order > 0 : op === '<=' ? order <= 0 : order >= 0;
    };
  }

  private additive(): Node {
    let left = this.multiplicative();
    while (this.isOp('+', '-', '&')) {
      const op = this.take().text;
      const a = left;
      const b = this.multiplicative();
      if (op === '&') {
        left = (record) => `${a(record) ?? ''}${b(record) ?? ''}`;
        continue;
      }
      left = (record) => {
        const x = a(record);
        const y = b(record);
        const xDate = dateMillis(x);
        const yDate = dateMillis(y);
        if (xDate !== undefined && yDate !== undefined && op === '-') return Math.round((xDate - yDate) / DAY);
        if (xDate !== undefined) {
          const days = toNumber(y, this.blankAsZero);
          if (days === null) return null;
          return new Date(xDate + (op === '+' ? days : -days) * DAY).toISOString().slice(0, 10);
        }
        if (typeof x === 'string' && typeof y === 'string' && op === '+' && Number.isNaN(Number(x))) return x + y;
        const m = toNumber(x, this.blankAsZero);
        const n = toNumber(y, this.blankAsZero);
        if (m === null || n === null) return null;
        return op === '+' ? m + n : m - n;
      };
    }
    return left;
  }

  private multiplicative(): Node {
    let left = this.unary();
    while (this.isOp('*', '/')) {
      const op = this.take().text;
      const a = left;
      const b = this.unary();
      left = (record) => {
        const m = toNumber(a(record), this.blankAsZero);
        const n = toNumber(b(record), this.blankAsZero);
        if (m === null || n === null) return null;
        if (op === '/') return n === 0 ? null : m / n;
        return m * n;
      };
    }
    return left;
  }

  private unary(): Node {
    if (this.isOp('-')) {
      this.take();
      const inner = this.unary();
      return (record) => {
        const value = toNumber(inner(record), this.blankAsZero);
        return value === null ? null : -value;
      };
    }
    if (this.isOp('+')) {
      this.take();
      return this.unary();
    }
    if (this.isOp('!')) {
      this.take();
      const inner = this.unary();
      return (record) => inner(record) !== true;
    }
    const base = this.primary();
    if (this.isOp('^')) {
      this.take();
      const exponent = this.unary();
      return (record) => {
        const m = toNumber(base(record), this.blankAsZero);
        const n = toNumber(exponent(record), this.blankAsZero);
        return m === null || n === null ? null : m ** n;
      };
    }
    return base;
  }

  private primary(): Node {
    const token = this.take();
    if (token.kind === 'number') {
      const value = Number(token.text);
      return () => value;
    }
    if (token.kind === 'string') {
      const value = token.text;
      return () => value;
    }
    if (token.kind === 'punct' && token.text === '(') {
      const inner = this.or();
      this.take(')');
      return inner;
    }
    if (token.kind !== 'name') throw new FormulaSyntaxError(`unexpected ${token.text}`);
    const upper = token.text.toUpperCase();
    if (this.peek()?.text === '(') {
      this.take('(');
      const args: Node[] = [];
      if (this.peek()?.text !== ')') {
        args.push(this.or());
        while (this.peek()?.text === ',') {
          this.take(',');
          args.push(this.or());
        }
      }
      this.take(')');
      return this.call(upper, args);
    }
    if (upper === 'TRUE') return () => true;
    if (upper === 'FALSE') return () => false;
    if (upper === 'NULL') return () => null;
    if (token.text.includes('.') || token.text.startsWith('$')) {
      throw new FormulaSyntaxError(`cross-object or global reference ${token.text}`);
    }
    const name = token.text;
    const lower = name.toLowerCase();
    if (this.percentFields.has(lower)) {
      const plain = this.fieldReader(name, lower);
      return (record) => {
        const value = plain(record);
        return typeof value === 'number' ? value / 100 : value;
      };
    }
    return this.fieldReader(name, lower);
  }

  private fieldReader(name: string, lower: string): Node {
    return (record) => {
      let value = record[name];
      if (value === undefined) {
        for (const key of Object.keys(record)) {
          if (key.toLowerCase() === lower) {
            value = record[key];
            break;
          }
        }
      }
      if (value === undefined || value === null) return null;
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
      return String(value);
    };
  }

  private call(name: string, args: Node[]): Node {
    const need = (count: number) => {
      if (args.length !== count) throw new FormulaSyntaxError(`${name} takes ${count} arguments`);
    };
    const num = (node: Node, record: Record<string, unknown>) => toNumber(node(record), this.blankAsZero);
    const str = (node: Node, record: Record<string, unknown>) => {
      const value = node(record);
      return value === null ? '' : String(value);
    };
    switch (name) {
      case 'IF':
        need(3);
        return (record) => (args[0]!(record) === true ? args[1]!(record) : args[2]!(record));
      case 'CASE': {
        if (args.length < 4 || args.length % 2 !== 0) throw new FormulaSyntaxError('CASE needs pairs and an else');
        return (record) => {
          const value = args[0]!(record);
          for (let index = 1; index + 1 < args.length; index += 2) {
            if (String(args[index]!(record)) === String(value)) return args[index + 1]!(record);
          }
          return args[args.length - 1]!(record);
        };
      }
      case 'AND':
        return (record) => args.every((arg) => arg(record) === true);
      case 'OR':
        return (record) => args.some((arg) => arg(record) === true);
      case 'NOT':
        need(1);
        return (record) => args[0]!(record) !== true;
      case 'ISBLANK':
      case 'ISNULL':
        need(1);
        return (record) => isBlank(args[0]!(record));
      case 'BLANKVALUE':
      case 'NULLVALUE':
        need(2);
        return (record) => {
          const value = args[0]!(record);
          return isBlank(value) ? args[1]!(record) : value;
        };
      case 'TEXT':
        need(1);
        return (record) => {
          const value = args[0]!(record);
          return value === null ? '' : String(value);
        };
      case 'VALUE':
        need(1);
        return (record) => {
          const parsed = Number(str(args[0]!, record).trim());
          return Number.isFinite(parsed) ? parsed : null;
        };
      case 'LEN':
        need(1);
        return (record) => str(args[0]!, record).length;
      case 'UPPER':
        need(1);
        return (record) => str(args[0]!, record).toUpperCase();
      case 'LOWER':
        need(1);
        return (record) => str(args[0]!, record).toLowerCase();
      case 'TRIM':
        need(1);
        return (record) => str(args[0]!, record).trim();
      case 'LEFT':
        need(2);
        return (record) => str(args[0]!, record).slice(0, Math.max(0, num(args[1]!, record) ?? 0));
      case 'RIGHT':
        need(2);
        return (record) => {
          const text = str(args[0]!, record);
          const count = Math.max(0, num(args[1]!, record) ?? 0);
          return count === 0 ? '' : text.slice(-count);
        };
      case 'MID':
        need(3);
        return (record) => {
          const start = Math.max(1, num(args[1]!, record) ?? 1);
          return str(args[0]!, record).substr(start - 1, Math.max(0, num(args[2]!, record) ?? 0));
        };
      case 'CONTAINS':
        need(2);
        return (record) => str(args[0]!, record).includes(str(args[1]!, record));
      case 'BEGINS':
        need(2);
        return (record) => str(args[0]!, record).startsWith(str(args[1]!, record));
      case 'ISPICKVAL':
        need(2);
        return (record) => str(args[0]!, record) === str(args[1]!, record);
      case 'ROUND':
        need(2);
        return (record) => {
          const value = num(args[0]!, record);
          const digits = num(args[1]!, record) ?? 0;
          if (value === null) return null;
          const factor = 10 ** digits;
          return (Math.sign(value) * Math.round(Math.abs(value) * factor)) / factor;
        };
      case 'ABS':
      case 'FLOOR':
      case 'CEILING': {
        need(1);
        const fn = name === 'ABS' ? Math.abs : name === 'FLOOR' ? Math.floor : Math.ceil;
        return (record) => {
          const value = num(args[0]!, record);
          return value === null ? null : fn(value);
        };
      }
      case 'MOD':
        need(2);
        return (record) => {
          const m = num(args[0]!, record);
          const n = num(args[1]!, record);
          return m === null || n === null || n === 0 ? null : m % n;
        };
      case 'MAX':
      case 'MIN':
        if (args.length === 0) throw new FormulaSyntaxError(`${name} needs arguments`);
        return (record) => {
          const values = args.map((arg) => num(arg, record));
          if (values.some((value) => value === null)) return null;
          return name === 'MAX' ? Math.max(...(values as number[])) : Math.min(...(values as number[]));
        };
      case 'TODAY':
        need(0);
        return () => new Date(formulaClock.millis()).toISOString().slice(0, 10);
      case 'NOW':
        need(0);
        return () => `${new Date(formulaClock.millis()).toISOString().slice(0, 23)}+0000`;
      case 'DATE':
        need(3);
        return (record) => {
          const [y, m, d] = [num(args[0]!, record), num(args[1]!, record), num(args[2]!, record)];
          if (y === null || m === null || d === null) return null;
          const date = new Date(Date.UTC(y, m - 1, d));
          return date.getUTCMonth() === m - 1 ? date.toISOString().slice(0, 10) : null;
        };
      default:
        throw new FormulaSyntaxError(`unsupported function ${name}`);
    }
  }
}

/**
 * Compiles a formula into a function of the record. Anything the evaluator does not understand (unknown
 * functions, cross-object references, syntax it cannot read) compiles to a function returning null.
 *
 * @example
 * compileFormula('IF(Amount__c > 100, "big", "small")')({ Amount__c: 150 }) // 'big'
 */
export function compileFormula(
  formula: string,
  options: { blankAsZero?: boolean; percentFields?: ReadonlySet<string> } = {},
): (record: Record<string, unknown>) => unknown {
  let node: Node;
  try {
    node = new Parser(tokenize(formula), options.blankAsZero === true, options.percentFields).parse();
  } catch {
    return () => null;
  }
  return (record) => {
    try {
      const value = node(record);
      return typeof value === 'number' && !Number.isFinite(value) ? null : value;
    } catch {
      return null;
    }
  };
}
