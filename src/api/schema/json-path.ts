// The JSONPath subset printer columns use: .a.b, escaped dots, ['key'], [0], [-1], [a:b], [*], .., and [?(@.k=="v")] filters.

/** One step of a parsed path. */
export type JsonPathStep =
  | { kind: 'field'; names: string[] }
  | { kind: 'wildcard' }
  | { kind: 'descend' }
  | { kind: 'index'; indices: number[] }
  | { kind: 'slice'; start: number | undefined; end: number | undefined; step: number }
  | { kind: 'filter'; filter: JsonPathFilter };

type Operand = { kind: 'path'; steps: JsonPathStep[] } | { kind: 'literal'; value: unknown };

type Comparison = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type JsonPathFilter = { op: 'exists'; left: Operand } | { op: Comparison; left: Operand; right: Operand };

export class JsonPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonPathError';
  }
}

const cache = new Map<string, JsonPathStep[] | JsonPathError>();

/**
 * Parses a path such as `.status.conditions[?(@.type=="Ready")].status` or `{.spec.replicas}`.
 * A leading `$` and surrounding braces are optional. Throws JsonPathError on bad syntax.
 */
export function parseJsonPath(jsonPath: string): JsonPathStep[] {
  let parsed = cache.get(jsonPath);
  if (parsed === undefined) {
    try {
      parsed = new Parser(unwrap(jsonPath)).steps();
    } catch (err) {
      parsed = err instanceof JsonPathError ? err : new JsonPathError(String(err));
    }
    if (cache.size > 4096) cache.clear();
    cache.set(jsonPath, parsed);
  }
  if (parsed instanceof JsonPathError) throw parsed;
  return parsed;
}

/** Every value the path selects, in document order; none when the path is absent or malformed. */
export function evaluateJsonPath(object: unknown, jsonPath: string): unknown[] {
  let steps: JsonPathStep[];
  try {
    steps = parseJsonPath(jsonPath);
  } catch {
    return [];
  }
  return run(steps, [object]);
}

/**
 * The value a printer column shows: the first match of `jsonPath` (kube-apiserver also takes the
 * first), or undefined when nothing matches or the path is malformed.
 */
export function evaluateColumnPath(object: unknown, jsonPath: string): unknown {
  return evaluateJsonPath(object, jsonPath)[0];
}

function unwrap(jsonPath: string): string {
  let path = jsonPath.trim();
  if (path.startsWith('{') && path.endsWith('}')) path = path.slice(1, -1).trim();
  if (path.startsWith('$')) path = path.slice(1);
  return path;
}

function run(steps: JsonPathStep[], start: unknown[]): unknown[] {
  let nodes = start;
  for (const step of steps) {
    const next: unknown[] = [];
    for (const n of nodes) apply(step, n, next);
    nodes = next;
    if (nodes.length === 0) break;
  }
  return nodes;
}

function apply(step: JsonPathStep, n: unknown, out: unknown[]): void {
  switch (step.kind) {
    case 'field':
      if (isRecord(n)) for (const name of step.names) if (Object.hasOwn(n, name) && n[name] !== undefined) out.push(n[name]);
      return;
    case 'wildcard':
      if (Array.isArray(n)) out.push(...(n as unknown[]));
      else if (isRecord(n)) out.push(...Object.values(n).filter((v) => v !== undefined));
      return;
    case 'descend':
      descend(n, out);
      return;
    case 'index':
      if (!Array.isArray(n)) return;
      for (const i of step.indices) {
        const at = i < 0 ? n.length + i : i;
        if (at >= 0 && at < n.length) out.push(n[at]);
      }
      return;
    case 'slice': {
      if (!Array.isArray(n)) return;
      const len = n.length;
      const clamp = (v: number | undefined, dflt: number): number => (v === undefined ? dflt : v < 0 ? Math.max(0, len + v) : Math.min(len, v));
      if (step.step > 0) for (let i = clamp(step.start, 0); i < clamp(step.end, len); i += step.step) out.push(n[i]);
      return;
    }
    case 'filter':
      if (Array.isArray(n)) for (const el of n) if (matches(step.filter, el)) out.push(el);
      return;
  }
}

function descend(n: unknown, out: unknown[]): void {
  out.push(n);
  if (Array.isArray(n)) for (const v of n) descend(v, out);
  else if (isRecord(n)) for (const v of Object.values(n)) if (v !== undefined) descend(v, out);
}

function operandValue(operand: Operand, el: unknown): unknown {
  return operand.kind === 'literal' ? operand.value : run(operand.steps, [el])[0];
}

function matches(filter: JsonPathFilter, el: unknown): boolean {
  const left = operandValue(filter.left, el);
  if (filter.op === 'exists') return left !== undefined;
  const right = operandValue(filter.right, el);
  if (left === undefined || right === undefined) return filter.op === '!=' && left !== right;
  const comparable = (typeof left === 'number' && typeof right === 'number') || (typeof left === 'string' && typeof right === 'string');
  switch (filter.op) {
    case '==': return left === right;
    case '!=': return left !== right;
    case '<': return comparable && (left as number) < (right as number);
    case '<=': return comparable && (left as number) <= (right as number);
    case '>': return comparable && (left as number) > (right as number);
    case '>=': return comparable && (left as number) >= (right as number);
  }
}

class Parser {
  private i = 0;
  private readonly src: string;

  constructor(src: string) {
    this.src = src;
  }

  steps(): JsonPathStep[] {
    const out: JsonPathStep[] = [];
    const s = this.src;
    if (this.i < s.length && s[this.i] !== '.' && s[this.i] !== '[') {
      // Tolerate a path without its leading dot ("spec.replicas").
      out.push({ kind: 'field', names: [this.name()] });
    }
    while (this.i < s.length) {
      const c = s[this.i];
      if (c === '.') {
        this.i++;
        if (s[this.i] === '.') {
          this.i++;
          out.push({ kind: 'descend' });
          if (s[this.i] === '[') continue;
        }
        if (s[this.i] === '*') {
          this.i++;
          out.push({ kind: 'wildcard' });
          continue;
        }
        const name = this.name();
        // "." alone selects the current node.
        if (name !== '') out.push({ kind: 'field', names: [name] });
      } else if (c === '[') {
        out.push(this.bracket());
      } else {
        throw new JsonPathError(`unexpected ${JSON.stringify(c)} at position ${this.i}`);
      }
    }
    return out;
  }

  /** A field name up to the next unescaped `.` or `[`; `\.` (and any `\x`) escapes a character. */
  private name(): string {
    const s = this.src;
    let name = '';
    while (this.i < s.length && s[this.i] !== '.' && s[this.i] !== '[') {
      const c = s[this.i] ?? '';
      if (c === '\\' && this.i + 1 < s.length) {
        name += s[this.i + 1];
        this.i += 2;
        continue;
      }
      if (c === ']' || c === ' ' || c === '\t') throw new JsonPathError(`unexpected ${JSON.stringify(c)} at position ${this.i}`);
      name += c;
      this.i++;
    }
    return name;
  }

  private bracket(): JsonPathStep {
    const s = this.src;
    const start = this.i;
    let depth = 0;
    let quote = '';
    let end = -1;
    for (let j = start; j < s.length; j++) {
      const c = s[j];
      if (quote) {
        if (c === '\\') j++;
        else if (c === quote) quote = '';
        continue;
      }
      if (c === '"' || c === "'") quote = c;
      else if (c === '[' || c === '(') depth++;
      else if (c === ']' || c === ')') {
        depth--;
        if (depth === 0 && c === ']') {
          end = j;
          break;
        }
      }
    }
    if (end < 0) throw new JsonPathError(`unclosed '[' at position ${start}`);
    this.i = end + 1;
    const inner = s.slice(start + 1, end).trim();
    if (inner === '*') return { kind: 'wildcard' };
    if (inner.startsWith('?')) {
      const expr = inner.slice(1).trim();
      if (!expr.startsWith('(') || !expr.endsWith(')')) throw new JsonPathError(`a filter must look like [?(...)]: [${inner}]`);
      return { kind: 'filter', filter: parseFilter(expr.slice(1, -1).trim()) };
    }
    if (inner.startsWith("'") || inner.startsWith('"')) {
      return { kind: 'field', names: splitTop(inner, ',').map((part) => stringLiteral(part.trim())) };
    }
    if (inner.includes(':')) {
      const parts = inner.split(':').map((p) => p.trim());
      if (parts.length > 3) throw new JsonPathError(`bad slice [${inner}]`);
      const num = (p: string | undefined): number | undefined => (p === undefined || p === '' ? undefined : integer(p, inner));
      const step = num(parts[2]) ?? 1;
      if (step <= 0) throw new JsonPathError(`a slice step must be positive: [${inner}]`);
      return { kind: 'slice', start: num(parts[0]), end: num(parts[1]), step };
    }
    if (inner === '') throw new JsonPathError(`empty brackets at position ${start}`);
    return { kind: 'index', indices: inner.split(',').map((p) => integer(p.trim(), inner)) };
  }
}

function integer(text: string, context: string): number {
  if (!/^-?\d+$/.test(text)) throw new JsonPathError(`not an index: [${context}]`);
  return Number(text);
}

function stringLiteral(text: string): string {
  const q = text[0];
  if ((q !== '"' && q !== "'") || text.length < 2 || text[text.length - 1] !== q) throw new JsonPathError(`bad string ${text}`);
  let out = '';
  for (let i = 1; i < text.length - 1; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length - 1) {
      out += text[i + 1];
      i++;
    } else {
      out += c;
    }
  }
  return out;
}

/** Splits on `sep` outside quotes. */
function splitTop(text: string, sep: string): string[] {
  const parts: string[] = [];
  let quote = '';
  let from = 0;
  for (let j = 0; j < text.length; j++) {
    const c = text[j];
    if (quote) {
      if (c === '\\') j++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === sep) {
      parts.push(text.slice(from, j));
      from = j + 1;
    }
  }
  parts.push(text.slice(from));
  return parts;
}

const comparisons: Comparison[] = ['==', '!=', '<=', '>=', '<', '>'];

function parseFilter(expr: string): JsonPathFilter {
  let quote = '';
  for (let j = 0; j < expr.length; j++) {
    const c = expr[j];
    if (quote) {
      if (c === '\\') j++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      continue;
    }
    const op = comparisons.find((o) => expr.startsWith(o, j));
    if (op) {
      return { op, left: operand(expr.slice(0, j).trim()), right: operand(expr.slice(j + op.length).trim()) };
    }
  }
  const left = operand(expr);
  if (left.kind !== 'path') throw new JsonPathError(`a filter needs a path: ${expr}`);
  return { op: 'exists', left };
}

function operand(text: string): Operand {
  if (text === '') throw new JsonPathError('empty operand in filter');
  if (text.startsWith('@')) return { kind: 'path', steps: new Parser(text.slice(1)).steps() };
  if (text.startsWith('"') || text.startsWith("'")) return { kind: 'literal', value: stringLiteral(text) };
  if (text === 'true' || text === 'false') return { kind: 'literal', value: text === 'true' };
  if (text === 'null') return { kind: 'literal', value: null };
  if (/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return { kind: 'literal', value: Number(text) };
  throw new JsonPathError(`bad operand in filter: ${text}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
