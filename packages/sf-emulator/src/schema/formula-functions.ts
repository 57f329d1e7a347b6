// The functions a formula may call, compiled from their argument nodes: logical, text, math and date functions.
import { FormulaSyntaxError } from '../errors.js';
import { formulaClock, isBlank, type Node, toNumber } from './formula-values.js';

/** What every function compiler uses: the argument count check and arguments read as numbers or text. */
interface Tools {
  need(count: number): void;
  num(node: Node, record: Record<string, unknown>): number | null;
  str(node: Node, record: Record<string, unknown>): string;
}

/** The node of a call of function `name` (upper case); FormulaSyntaxError for one it does not know or bad arguments. */
export function functionNode(name: string, args: Node[], blankAsZero: boolean): Node {
  const tools: Tools = {
    need: (count) => {
      if (args.length !== count) throw new FormulaSyntaxError(`${name} takes ${count} arguments`);
    },
    num: (node, record) => toNumber(node(record), blankAsZero),
    str: (node, record) => {
      const value = node(record);
      return value === null ? '' : String(value);
    },
  };
  const node =
    logicalFunction(name, args, tools) ??
    textFunction(name, args, tools) ??
    mathFunction(name, args, tools) ??
    dateFunction(name, args, tools);
  if (!node) throw new FormulaSyntaxError(`unsupported function ${name}`);
  return node;
}

/** IF, CASE, AND, OR, NOT and the blank tests. */
function logicalFunction(name: string, args: Node[], tools: Tools): Node | undefined {
  const { need } = tools;
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
    default:
      return undefined;
  }
}

/** TEXT, VALUE and the text functions. */
function textFunction(name: string, args: Node[], tools: Tools): Node | undefined {
  const { need, num, str } = tools;
  switch (name) {
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
    default:
      return undefined;
  }
}

/** ROUND, ABS, FLOOR, CEILING, MOD, MAX, MIN. */
function mathFunction(name: string, args: Node[], tools: Tools): Node | undefined {
  const { need, num } = tools;
  switch (name) {
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
    default:
      return undefined;
  }
}

/** TODAY, NOW and DATE. */
function dateFunction(name: string, args: Node[], tools: Tools): Node | undefined {
  const { need, num } = tools;
  switch (name) {
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
      return undefined;
  }
}
