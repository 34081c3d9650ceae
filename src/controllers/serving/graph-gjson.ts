// GJSON paths as KServe's InferenceGraph router evaluates step conditions (tidwall/gjson v1.18.0, the version KServe
// pins): `gjson.GetBytes(body, condition).Exists()`. Written from gjson's SYNTAX.md and checked case by case against
// the Go library (graph-gjson.test.ts). Documents keep their key order and duplicate keys, as gjson reads raw text.

export type JsonNode =
  | { t: 'obj'; e: [string, JsonNode][] }
  | { t: 'arr'; a: JsonNode[] }
  | { t: 'str'; s: string }
  | { t: 'num'; raw: string; n: number }
  | { t: 'lit'; raw: 'true' | 'false' | 'null' };

const ws = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/** Parses strict JSON (what gjson.Valid accepts) keeping key order and duplicates; undefined when it is not valid. */
export function parseJson(text: string): JsonNode | undefined {
  let i = 0;
  const skip = (): void => {
    while (ws(text[i])) i++;
  };
  const value = (depth: number): JsonNode => {
    if (depth > 5000) throw new Error('too deep');
    skip();
    const c = text[i];
    if (c === '{') {
      i++;
      const e: [string, JsonNode][] = [];
      skip();
      if (text[i] === '}') {
        i++;
        return { t: 'obj', e };
      }
      for (;;) {
        skip();
        if (text[i] !== '"') throw new Error('key');
        const k = str();
        skip();
        if (text[i++] !== ':') throw new Error('colon');
        e.push([k, value(depth + 1)]);
        skip();
        const d = text[i++];
        if (d === '}') return { t: 'obj', e };
        if (d !== ',') throw new Error('comma');
      }
    }
    if (c === '[') {
      i++;
      const a: JsonNode[] = [];
      skip();
      if (text[i] === ']') {
        i++;
        return { t: 'arr', a };
      }
      for (;;) {
        a.push(value(depth + 1));
        skip();
        const d = text[i++];
        if (d === ']') return { t: 'arr', a };
        if (d !== ',') throw new Error('comma');
      }
    }
    if (c === '"') return { t: 'str', s: str() };
    for (const raw of ['true', 'false', 'null'] as const) {
      if (text.startsWith(raw, i)) {
        i += raw.length;
        return { t: 'lit', raw };
      }
    }
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) throw new Error('value');
    i += m[0].length;
    return { t: 'num', raw: m[0], n: Number(m[0]) };
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text.charCodeAt(i) < 0x20) throw new Error('control character');
      i++;
    }
    if (i >= text.length) throw new Error('unterminated string');
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  try {
    const v = value(0);
    skip();
    return i === text.length ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Compact JSON of a node (gjson keeps the document's own spacing; only existence matters to conditions). */
export function stringify(node: JsonNode): string {
  switch (node.t) {
    case 'obj':
      return `{${node.e.map(([k, v]) => `${JSON.stringify(k)}:${stringify(v)}`).join(',')}}`;
    case 'arr':
      return `[${node.a.map(stringify).join(',')}]`;
    case 'str':
      return JSON.stringify(node.s);
    case 'num':
      return node.raw;
    case 'lit':
      return node.raw;
  }
}

/** gjson's wildcard match (tidwall/match): `*` any run, `?` one character, `\` escapes the next one. */
export function wildcard(str: string, pattern: string): boolean {
  if (pattern === '*') return true;
  let re = '';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else if (c === '\\') {
      const next = chars[++i];
      if (next === undefined) return false;
      re += next.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'u').test(str);
}

const MODIFIERS = new Set(['pretty', 'ugly', 'reverse', 'this', 'flatten', 'join', 'valid', 'keys', 'values', 'tostr', 'fromstr', 'group', 'dig']);

/** After a `.`: does the rest start with a modifier, `[` or `{` (then it applies to the whole result, like a pipe)? */
function dotPiper(rest: string): boolean {
  const c = rest[0];
  if (c === '@') {
    let i = 1;
    while (i < rest.length && rest[i] !== '.' && rest[i] !== '|' && rest[i] !== ':') i++;
    return MODIFIERS.has(rest.slice(1, i));
  }
  return c === '[' || c === '{';
}

const isUint = (s: string): boolean => /^\d+$/.test(s);

/** The length of one JSON value (or a balanced bracket run) at the start of `s`, as gjson's squash reads it. */
function squashLength(s: string): number {
  if (s[0] !== '{' && s[0] !== '[' && s[0] !== '"' && s[0] !== '(') {
    const m = /^[^,\]}|.:]*/.exec(s);
    return m ? m[0].length : 0;
  }
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\') i++;
        i++;
      }
      if (depth === 0) return i + 1;
    } else if (c === '{' || c === '[' || c === '(') depth++;
    else if (c === '}' || c === ']' || c === ')') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return s.length;
}

/** gjson's unescape: JSON escapes, and the text stops at a control character or an escape JSON does not know. */
function unescapeString(s: string): string {
  let out = '';
  const simple: Record<string, string> = { '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '"': '"' };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c < ' ') return out;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = s[++i];
    if (e === undefined) return out;
    if (e === 'u') {
      if (i + 5 > s.length) return out;
      out += String.fromCharCode(parseInt(s.slice(i + 1, i + 5), 16) || 0);
      i += 4;
    } else if (simple[e] !== undefined) out += simple[e];
    else return out;
  }
  return out;
}

interface Query {
  path: string;
  op: string;
  value: string;
  all: boolean;
}

/** Splits `#(…)` / `#[…]` at the start of `q`: the query and where it ends (gjson's parseQuery). */
function parseQuery(q: string): { query: Query; end: number } | undefined {
  if (q.length < 2 || q[0] !== '#' || (q[1] !== '(' && q[1] !== '[')) return undefined;
  let i = 2;
  let j = 0;
  let depth = 1;
  let vesc = false;
  for (; i < q.length; i++) {
    const c = q[i];
    if (depth === 1 && j === 0 && (c === '!' || c === '=' || c === '<' || c === '>' || c === '%')) {
      j = i;
      continue;
    }
    if (c === '\\') i++;
    else if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') {
      depth--;
      if (depth === 0) break;
    } else if (c === '"') {
      for (i++; i < q.length; i++) {
        if (q[i] === '\\') {
          vesc = true;
          i++;
        } else if (q[i] === '"') break;
      }
    }
  }
  if (depth > 0) return undefined;
  let path: string;
  let op = '';
  let value = '';
  if (j > 0) {
    path = q.slice(2, j).trim();
    value = q.slice(j, i).trim();
    let size = 0;
    const two = value.slice(0, 2);
    if (value.length === 1) size = 1;
    else if (two === '!=' || two === '!%' || two === '<=' || two === '>=') size = 2;
    else if (two === '==') {
      value = value.slice(1);
      size = 1;
    } else if ('<>=%'.includes(value[0]!)) size = 1;
    op = value.slice(0, size);
    value = value.slice(size).trim();
  } else path = q.slice(2, i).trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    value = value.slice(1, -1);
    if (vesc) value = unescapeString(value);
  }
  return { query: { path, op, value, all: q[i + 1] === '#' }, end: i + 1 };
}

function parseBool(s: string): boolean | undefined {
  if (['1', 't', 'true'].includes(s)) return true;
  if (['0', 'f', 'false'].includes(s)) return false;
  return undefined;
}

function queryMatches(query: Query, found: JsonNode | undefined): boolean {
  let value = found;
  let rpv = query.value;
  if (rpv.startsWith('~')) {
    rpv = rpv.slice(1);
    let ish: boolean | undefined;
    const str = value?.t === 'str' ? parseBool(value.s.toLowerCase()) : undefined;
    if (rpv === '*') ish = value !== undefined;
    else if (rpv === 'null') ish = value === undefined || (value.t === 'lit' && value.raw === 'null');
    else if (rpv === 'true') ish = value?.t === 'lit' ? value.raw === 'true' : value?.t === 'str' ? str === true : value?.t === 'num' ? value.n !== 0 : false;
    else if (rpv === 'false') ish = value === undefined || (value.t === 'lit' ? value.raw !== 'true' : value.t === 'str' ? str === false : value.t === 'num' ? value.n === 0 : false);
    if (ish === undefined) return false;
    rpv = 'true';
    value = { t: 'lit', raw: ish ? 'true' : 'false' };
  }
  if (value === undefined) return false;
  if (query.op === '') return true;
  const op = query.op;
  if (value.t === 'str') {
    const s = value.s;
    switch (op) {
      case '=':
        return s === rpv;
      case '!=':
        return s !== rpv;
      case '<':
        return s < rpv;
      case '<=':
        return s <= rpv;
      case '>':
        return s > rpv;
      case '>=':
        return s >= rpv;
      case '%':
        return wildcard(s, rpv);
      case '!%':
        return !wildcard(s, rpv);
      default:
        return false;
    }
  }
  if (value.t === 'num') {
    // Go's strconv.ParseFloat gives 0 for what it cannot read.
    const parsed = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(rpv) ? Number(rpv) : /^[+-]?(inf|infinity)$/i.test(rpv) ? (rpv.startsWith('-') ? -Infinity : Infinity) : 0;
    const n = value.n;
    switch (op) {
      case '=':
        return n === parsed;
      case '!=':
        return n !== parsed;
      case '<':
        return n < parsed;
      case '<=':
        return n <= parsed;
      case '>':
        return n > parsed;
      case '>=':
        return n >= parsed;
      default:
        return false;
    }
  }
  if (value.t === 'lit' && value.raw === 'true') {
    if (op === '=') return rpv === 'true';
    if (op === '!=') return rpv !== 'true';
    if (op === '>') return rpv === 'false';
    return op === '>=';
  }
  if (value.t === 'lit' && value.raw === 'false') {
    if (op === '=') return rpv === 'false';
    if (op === '!=') return rpv !== 'false';
    if (op === '<') return rpv === 'true';
    return op === '<=';
  }
  return false;
}

/** Splits `a.b|c` into the part a query applies to each hit (`a.b`) and the pipe applied to the result (`c`). */
function splitPipe(path: string): [string, string] | undefined {
  if (!path.includes('|')) return undefined;
  if (path.startsWith('{')) {
    const n = squashLength(path.slice(1)) + 1;
    if (n < path.length && path[n] === '|') return [path.slice(0, n), path.slice(n + 1)];
    return undefined;
  }
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === '\\') i++;
    else if (c === '.') {
      if (i === path.length - 1) return undefined;
      if (path[i + 1] === '#') {
        i += 2;
        if (i === path.length) return undefined;
        if (path[i] === '[' || path[i] === '(') {
          const open = path[i];
          const close = open === '[' ? ']' : ')';
          let depth = 1;
          for (i++; i < path.length; i++) {
            if (path[i] === '\\') i++;
            else if (path[i] === open) depth++;
            else if (path[i] === close) {
              depth--;
              if (depth === 0) break;
            } else if (path[i] === '"') {
              for (i++; i < path.length; i++) {
                if (path[i] === '\\') i++;
                else if (path[i] === '"') break;
              }
            }
          }
        }
      }
    } else if (c === '|') return [path.slice(0, i), path.slice(i + 1)];
  }
  return undefined;
}

function forEach(node: JsonNode): { key: JsonNode | undefined; value: JsonNode }[] {
  if (node.t === 'obj') return node.e.map(([k, v]) => ({ key: { t: 'str', s: k }, value: v }));
  if (node.t === 'arr') return node.a.map((v) => ({ key: undefined, value: v }));
  return [{ key: undefined, value: node }];
}

function modifier(name: string, node: JsonNode | undefined, arg: string): JsonNode | undefined {
  const argNode = arg ? parseJson(arg) : undefined;
  const flag = (key: string): boolean => {
    const v = argNode?.t === 'obj' ? argNode.e.find(([k]) => k === key)?.[1] : undefined;
    return v?.t === 'lit' ? v.raw === 'true' : v?.t === 'num' ? v.n !== 0 : v?.t === 'str' ? parseBool(v.s) === true : false;
  };
  switch (name) {
    case 'pretty':
    case 'ugly':
    case 'this':
    case 'valid':
      return node;
    case 'reverse':
      if (node?.t === 'arr') return { t: 'arr', a: [...node.a].reverse() };
      if (node?.t === 'obj') return { t: 'obj', e: [...node.e].reverse() };
      return node;
    case 'flatten': {
      if (node?.t !== 'arr') return node;
      const deep = flag('deep');
      const flat = (a: JsonNode[]): JsonNode[] => a.flatMap((v) => (v.t === 'arr' ? (deep ? flat(v.a) : v.a) : [v]));
      return { t: 'arr', a: flat(node.a) };
    }
    case 'join': {
      if (node?.t !== 'arr') return node;
      const objects = node.a.filter((v): v is Extract<JsonNode, { t: 'obj' }> => v.t === 'obj');
      if (flag('preserve')) return { t: 'obj', e: objects.flatMap((o) => o.e) };
      const merged = new Map<string, JsonNode>();
      for (const o of objects) for (const [k, v] of o.e) merged.set(k, v);
      return { t: 'obj', e: [...merged] };
    }
    case 'keys':
      if (!node) return { t: 'arr', a: [] };
      return { t: 'arr', a: forEach(node).map((kv) => (node.t === 'obj' && kv.key ? kv.key : { t: 'lit', raw: 'null' })) };
    case 'values':
      if (!node) return { t: 'arr', a: [] };
      if (node.t === 'arr') return node;
      return { t: 'arr', a: forEach(node).map((kv) => kv.value) };
    case 'tostr':
      return { t: 'str', s: node ? stringify(node) : '' };
    case 'fromstr':
      if (!node) return undefined;
      return node.t === 'str' ? parseJson(node.s) : node;
    case 'group': {
      if (node?.t !== 'obj') return undefined;
      const rows: [string, JsonNode][][] = [];
      for (const [k, v] of node.e) {
        if (v.t !== 'arr') continue;
        v.a.forEach((item, i) => (rows[i] ??= []).push([k, item]));
      }
      return { t: 'arr', a: rows.map((e) => ({ t: 'obj', e })) };
    }
    case 'dig': {
      const all: JsonNode[] = [];
      const walk = (n: JsonNode): void => {
        const hit = get(n, arg);
        if (hit) all.push(hit);
        if (n.t === 'obj' || n.t === 'arr') for (const kv of forEach(n)) walk(kv.value);
      };
      if (node) walk(node);
      return { t: 'arr', a: all };
    }
    default:
      return undefined;
  }
}

/** `@name`, `@name:arg`, then the rest of the path (gjson's execModifier); undefined when `name` is no modifier. */
function runModifier(node: JsonNode | undefined, path: string): { rest: string; value: JsonNode | undefined } | undefined {
  let name = path.slice(1);
  let rest = '';
  let arg = '';
  let hasArgs = false;
  for (let i = 1; i < path.length; i++) {
    const c = path[i];
    if (c === ':') {
      rest = path.slice(i + 1);
      name = path.slice(1, i);
      hasArgs = rest.length > 0;
      break;
    }
    if (c === '|' || c === '.') {
      rest = path.slice(i);
      name = path.slice(1, i);
      break;
    }
  }
  if (!MODIFIERS.has(name)) return undefined;
  if (hasArgs) {
    let parsed = false;
    if (rest[0] === '{' || rest[0] === '[' || rest[0] === '"') {
      const n = squashLength(rest);
      if (parseJson(rest.slice(0, n))) {
        arg = rest.slice(0, n);
        rest = rest.slice(n);
        parsed = true;
      }
    }
    if (!parsed) {
      let i = 0;
      for (; i < rest.length; i++) {
        if (rest[i] === '|') break;
        if ('{["('.includes(rest[i]!)) i += squashLength(rest.slice(i)) - 1;
      }
      arg = rest.slice(0, i);
      rest = rest.slice(i);
    }
  }
  return { rest, value: modifier(name, node, arg) };
}

/** `!true`, `!"text"`, `!{…}`: a literal value in a path (gjson's execStatic). */
function runStatic(path: string): { rest: string; value: JsonNode | undefined } | undefined {
  const name = path.slice(1);
  if (name && '{["+-0123456789'.includes(name[0]!)) {
    const n = squashLength(name);
    return { rest: name.slice(n), value: parseJson(name.slice(0, n)) };
  }
  let word = name;
  let rest = '';
  for (let i = 1; i < path.length; i++) {
    if (path[i] === '|' || path[i] === '.') {
      rest = path.slice(i);
      word = path.slice(1, i);
      break;
    }
  }
  const lower = word.toLowerCase();
  if (lower === 'true' || lower === 'false' || lower === 'null') return { rest, value: { t: 'lit', raw: lower } };
  if (lower === 'nan' || lower === 'inf') return { rest, value: { t: 'num', raw: word, n: lower === 'nan' ? NaN : Infinity } };
  return undefined;
}

interface Selector {
  name?: string;
  path: string;
}

/** `[a,b]` / `{a,"x":b}` at the start of a path (gjson's parseSubSelectors). */
function parseSelectors(path: string): { sels: Selector[]; rest: string } | undefined {
  const sels: Selector[] = [];
  let modifierAt = 0;
  let depth = 1;
  let colon = 0;
  let start = 1;
  const push = (i: number): void => {
    sels.push(colon === 0 ? { path: path.slice(start, i) } : { name: path.slice(start, colon), path: path.slice(colon + 1, i) });
    colon = 0;
    modifierAt = 0;
    start = i + 1;
  };
  for (let i = 1; i < path.length; i++) {
    const c = path[i];
    if (c === '\\') i++;
    else if (c === '@') {
      if (modifierAt === 0 && (path[i - 1] === '.' || path[i - 1] === '|')) modifierAt = i;
    } else if (c === ':') {
      if (modifierAt === 0 && colon === 0 && depth === 1) colon = i;
    } else if (c === ',') {
      if (depth === 1) push(i);
    } else if (c === '"') {
      for (i++; i < path.length; i++) {
        if (path[i] === '\\') i++;
        else if (path[i] === '"') break;
      }
    } else if (c === '[' || c === '(' || c === '{') depth++;
    else if (c === ']' || c === ')' || c === '}') {
      depth--;
      if (depth === 0) {
        push(i);
        return { sels, rest: path.slice(i + 1) };
      }
    }
  }
  return undefined;
}

function nameOfLast(path: string): string {
  for (let i = path.length - 1; i >= 0; i--) {
    if ((path[i] === '|' || path[i] === '.') && !(i > 0 && path[i - 1] === '\\')) return path.slice(i + 1);
  }
  return path;
}

const simpleName = (s: string): boolean => ![...s].some((c) => c < ' ' || '[]{}()#|!'.includes(c));

/** The value at a GJSON path, or undefined where gjson's result would not exist. */
export function get(node: JsonNode | undefined, path: string): JsonNode | undefined {
  if (path.length > 1) {
    const special = path[0] === '@' ? runModifier(node, path) : path[0] === '!' ? runStatic(path) : undefined;
    if (special) {
      if (special.rest[0] === '|' || special.rest[0] === '.') return get(special.value, special.rest.slice(1));
      return special.value;
    }
    if (path[0] === '[' || path[0] === '{') {
      const parsed = parseSelectors(path);
      if (parsed && (parsed.rest === '' || parsed.rest[0] === '|' || parsed.rest[0] === '.')) {
        const found = parsed.sels.map((s) => ({ s, v: get(node, s.path) })).filter((x): x is { s: Selector; v: JsonNode } => x.v !== undefined);
        let out: JsonNode;
        if (path[0] === '[') out = { t: 'arr', a: found.map((x) => x.v) };
        else {
          out = {
            t: 'obj',
            e: found.map(({ s, v }) => {
              let key: string;
              if (s.name !== undefined && s.name !== '') key = s.name.startsWith('"') && parseJson(s.name)?.t === 'str' ? (parseJson(s.name) as { s: string }).s : s.name;
              else key = simpleName(nameOfLast(s.path)) ? nameOfLast(s.path) : '_';
              return [key, v] as [string, JsonNode];
            }),
          };
        }
        return parsed.rest ? get(out, parsed.rest.slice(1)) : out;
      }
    }
  }
  // `..` reads the document as JSON Lines; a request body is one line.
  if (path.startsWith('..') && node) return arrayPath({ t: 'arr', a: [node] }, path.slice(2));
  if (node?.t === 'obj') return objectPath(node, path);
  if (node?.t === 'arr') return arrayPath(node, path);
  return undefined;
}

function descend(node: JsonNode, rest: string): JsonNode | undefined {
  if (node.t === 'obj') return objectPath(node, rest);
  if (node.t === 'arr') return arrayPath(node, rest);
  return undefined;
}

function objectPath(node: Extract<JsonNode, { t: 'obj' }>, path: string): JsonNode | undefined {
  let part = '';
  let rest = '';
  let pipe: string | undefined;
  let more = false;
  let wild = false;
  let i = 0;
  for (; i < path.length; i++) {
    const c = path[i];
    if (c === '\\') {
      i++;
      if (i < path.length) part += path[i];
      continue;
    }
    if (c === '|') {
      pipe = path.slice(i + 1);
      break;
    }
    if (c === '.') {
      if (i < path.length - 1 && dotPiper(path.slice(i + 1))) pipe = path.slice(i + 1);
      else {
        rest = path.slice(i + 1);
        more = true;
      }
      break;
    }
    if (c === '*' || c === '?') wild = true;
    part += c;
  }
  // A wildcard keeps its escapes for the matcher; a plain key is compared unescaped.
  const pattern = wild ? path.slice(0, i) : part;
  for (const [key, value] of node.e) {
    if (!(wild ? wildcard(key, pattern) : key === pattern)) continue;
    if (!more) return pipe !== undefined ? get(value, pipe) : value;
    const hit = descend(value, rest);
    if (hit !== undefined) return hit;
  }
  return pipe !== undefined ? get(undefined, pipe) : undefined;
}

function arrayPath(node: Extract<JsonNode, { t: 'arr' }>, path: string): JsonNode | undefined {
  let part = path;
  let rest = '';
  let pipe: string | undefined;
  let more = false;
  let arrch = false;
  let query: Query | undefined;
  let alog: string | undefined;
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === '|') {
      part = path.slice(0, i);
      pipe = path.slice(i + 1);
      break;
    }
    if (c === '.') {
      part = path.slice(0, i);
      if (!arrch && i < path.length - 1 && dotPiper(path.slice(i + 1))) pipe = path.slice(i + 1);
      else {
        rest = path.slice(i + 1);
        more = true;
      }
      break;
    }
    if (c === '#') {
      arrch = true;
      if (i === 0 && path.length > 1) {
        if (path[1] === '.') alog = path.slice(2);
        else if (path[1] === '[' || path[1] === '(') {
          const parsed = parseQuery(path);
          if (!parsed) {
            query = undefined;
            part = path;
            rest = '';
            more = false;
            pipe = undefined;
            break;
          }
          query = parsed.query;
          i = parsed.end - 1;
        }
      }
    }
  }
  let result: JsonNode | undefined;
  if (query) {
    const q = query;
    const hits: JsonNode[] = [];
    let remainder = rest;
    if (more) {
      const split = splitPipe(rest);
      if (split) {
        remainder = split[0];
        pipe = split[1];
      }
    }
    for (const item of node.a) {
      const tested = item.t === 'obj' || item.t === 'arr' ? get(item, q.path) : q.path === '' ? item : undefined;
      if (q.path !== '' && item.t !== 'obj' && item.t !== 'arr') continue;
      if (!queryMatches(q, tested)) continue;
      const res = more ? get(item, remainder) : item;
      if (!q.all) {
        result = res;
        break;
      }
      if (res !== undefined) hits.push(res);
    }
    if (q.all) result = { t: 'arr', a: hits };
  } else if (arrch && part === '#') {
    if (alog !== undefined) {
      let key = alog;
      const split = splitPipe(alog);
      if (split) {
        key = split[0];
        pipe = split[1];
      }
      result = { t: 'arr', a: node.a.map((item) => get(item, key)).filter((v): v is JsonNode => v !== undefined) };
    } else result = { t: 'num', raw: String(node.a.length), n: node.a.length };
  } else if (!arrch && isUint(part)) {
    const item = node.a[Number(part)];
    if (item !== undefined) result = more ? descend(item, rest) : item;
  }
  return pipe !== undefined ? get(result, pipe) : result;
}

/** KServe's test: `gjson.GetBytes(json, condition).Exists()` (false for a body that is not valid JSON). */
export function conditionHolds(json: string | Buffer, condition: string): boolean {
  const doc = parseJson(typeof json === 'string' ? json : json.toString('utf8'));
  if (doc === undefined) return false;
  return get(doc, condition) !== undefined;
}
