// The subset of GJSON paths Katib's success / failure conditions and KServe's InferenceGraph step conditions use, e.g.
// `status.conditions.#(type=="Complete")#|#(status=="True")#`: dotted keys, `#(field op value)` (first match) and
// `#(…)#` (all matches) queries with == != < <= > >= on strings, numbers and booleans, `#` (length), `@this`,
// `[@this]` (the value wrapped in an array, so a query can test the top-level object) and `|` pipes.
// A condition holds when the path yields something other than nothing, false, an empty array or an empty string.

type Json = unknown;

function splitTop(path: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = false;
  let start = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === '"' && path[i - 1] !== '\\') quote = !quote;
    if (quote) continue;
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === sep && depth === 0) {
      out.push(path.slice(start, i));
      start = i + 1;
    }
  }
  out.push(path.slice(start));
  return out;
}

function literal(text: string): Json {
  const t = text.trim();
  if (t.startsWith('"')) return JSON.parse(t) as string;
  if (t === 'true' || t === 'false') return t === 'true';
  return Number(t);
}

function matches(item: Json, query: string): boolean {
  const m = /^(.*?)\s*(==|!=|<=|>=|<|>)\s*(.*)$/.exec(query);
  if (!m) return get(item, query.trim()) !== undefined;
  const left = get(item, m[1]!.trim());
  const right = literal(m[3]!);
  switch (m[2] ?? '') {
    case '==':
      return left === right;
    case '!=':
      return left !== right;
    case '<':
      return (left as number) < (right as number);
    case '<=':
      return (left as number) <= (right as number);
    case '>':
      return (left as number) > (right as number);
    case '>=':
      return (left as number) >= (right as number);
    default:
      return false;
  }
}

function step(value: Json, segment: string): Json {
  const q = /^#\((.*)\)(#?)$/.exec(segment);
  if (q) {
    if (!Array.isArray(value)) return undefined;
    const hits = value.filter((v) => matches(v, q[1]!));
    return q[2] ? hits : hits[0];
  }
  if (segment === '#') return Array.isArray(value) ? value.length : undefined;
  if (segment === '@this') return value;
  if (segment === '[@this]') return [value];
  if (Array.isArray(value)) return /^\d+$/.test(segment) ? value[Number(segment)] : value.map((v) => step(v, segment)).filter((v) => v !== undefined);
  if (value && typeof value === 'object') return (value as Record<string, Json>)[segment];
  return undefined;
}

export function get(value: Json, path: string): Json {
  let current = value;
  for (const piped of splitTop(path, '|')) {
    for (const segment of splitTop(piped, '.')) if (segment !== '') current = step(current, segment);
  }
  return current;
}

export function holds(value: Json, path: string): boolean {
  const result = get(value, path);
  if (result === undefined || result === null || result === false || result === '') return false;
  if (Array.isArray(result)) return result.length > 0;
  return true;
}
