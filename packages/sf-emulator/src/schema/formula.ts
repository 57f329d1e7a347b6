/**
 * A small evaluator for Salesforce formula fields read from SFDX metadata: arithmetic, comparison, `&`,
 * `&&`/`||`, and common functions (IF, CASE, AND, OR, NOT, ISBLANK, ISNULL, BLANKVALUE, NULLVALUE, TEXT, VALUE,
 * LEN, UPPER, LOWER, TRIM, LEFT, RIGHT, MID, CONTAINS, BEGINS, ISPICKVAL, ROUND, ABS, FLOOR, CEILING, MOD, MAX,
 * MIN, TODAY, NOW, DATE). Fields of the record itself only (no cross-object paths). A formula it cannot read
 * computes `null`, never a wrong value.
 */
import { FormulaSyntaxError } from '../errors.js';
import { functionNode } from './formula-functions.js';
import { type Token, tokenize } from './formula-tokens.js';
import { compare, DAY, dateMillis, isBlank, type Node, toNumber } from './formula-values.js';

export { formulaClock } from './formula-values.js';

/** A recursive-descent parser of formula tokens into nodes (precedence: `||`, `&&`, comparison, `+ - &`, `* /`, unary). */
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
    return functionNode(name, args, this.blankAsZero);
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
