// Limits on what a request may be: its target (no dot segments, valid escapes), body nesting, and Warning header size.
import { Parser } from 'yaml';
import { errors, type FloeError } from '../api/errors.js';

/**
 * How deeply a request body may nest objects and arrays. kube-apiserver's JSON decoder allows 10,000; Floe's
 * recursive steps (structuredClone, schema walks, patches) overflow the stack between 1,500 and 2,000 levels, and a
 * stack overflow next to a regular expression can abort the whole process (V8 cannot compile the expression), so
 * Floe keeps a wide margin: no Kubernetes object comes near 100 levels. A deeper body is a 400 before it is parsed.
 */
export const maxNestingDepth = 512;

/**
 * The YAML parser recurses once or more per level while it builds values, and overflows its stack near 600 levels;
 * a YAML body is bounded well below that (measured first by `yamlNestingDepth`, which does not recurse).
 */
export const maxYamlNestingDepth = 256;

/**
 * Refuses a request target that names something other than what a plain reading of it says: dot segments (`..`,
 * `%2e%2e`) that URL parsers resolve away (`/namespaces/X/configmaps/..` would become `/namespaces/X`), a backslash
 * (which URL parsers treat as `/`), empty segments that shift the route, control characters, and malformed
 * percent-encoding in the path or the query (including escapes that are not UTF-8). Returns the 400 to send, or
 * undefined. Call it on the raw `req.url`, before anything parses it.
 */
export function checkRequestTarget(target: string | undefined): FloeError | undefined {
  if (target === undefined || target === '') return errors.badRequest('the request has no target');
  let rest = target;
  if (!rest.startsWith('/')) {
    // absolute-form (`http://host/path`), which proxies send; anything else (`*`, authority-form) is not for this server
    const absolute = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(rest);
    if (!absolute) return errors.badRequest(`the request target must be a path: "${truncate(target)}"`);
    rest = rest.slice(absolute[0].length) || '/';
  }
  const queryAt = rest.indexOf('?');
  const path = queryAt < 0 ? rest : rest.slice(0, queryAt);
  const query = queryAt < 0 ? '' : rest.slice(queryAt + 1);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(path)) return errors.badRequest(`the request path may not contain control characters or a backslash: "${truncate(path)}"`);
  const segments = path.split('/').slice(1);
  for (let i = 0; i < segments.length; i++) {
    const raw = segments[i]!;
    const decoded = decodeComponent(raw);
    if (decoded === undefined) return errors.badRequest(`the request path has invalid percent-encoding: "${truncate(raw)}"`);
    if (decoded === '.' || decoded === '..') return errors.badRequest(`the request path may not contain the segment "${raw}": "${truncate(path)}"`);
    // A trailing slash is harmless (`/api/v1/`); an empty segment inside the path moves every later one.
    if (raw === '' && i < segments.length - 1) return errors.badRequest(`the request path may not contain an empty segment: "${truncate(path)}"`);
  }
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    if (decodeComponent(pair.replace(/\+/g, ' ')) === undefined) return errors.badRequest(`the request query has invalid percent-encoding: "${truncate(pair)}"`);
  }
  return undefined;
}

/** `decodeURIComponent` without the throw: undefined for `%zz`, a lone `%`, or escapes that are not UTF-8. */
export function decodeComponent(text: string): string | undefined {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/**
 * kube-apiserver refuses these names where it builds a storage key from the URL ("Name parameter invalid"): a name
 * that is `.` or `..`, or that holds `/` or `%`, could address something other than the object it spells.
 */
export function checkNameParameter(name: string): FloeError | undefined {
  const problems = name === '.' || name === '..' ? [`may not be '${name}'`] : ['/', '%'].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
  return problems.length > 0 ? errors.badRequest(`Name parameter invalid: ${JSON.stringify(name)}: ${problems.join(';')}`) : undefined;
}

/**
 * Parses a JSON body, refusing one that nests deeper than `maxNestingDepth` before parsing it (the scan is linear and
 * stops at the first level too deep).
 */
export function parseJsonBody(raw: string): unknown {
  const tooDeep = jsonDepthExceeded(raw, maxNestingDepth);
  if (tooDeep) throw errors.badRequest(`the request body is not valid JSON: invalid character '${tooDeep}' exceeded max depth of ${maxNestingDepth}`);
  try {
    return JSON.parse(raw) as unknown;
  } catch (err) {
    throw errors.badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** The bracket that opens one level too many, or undefined; strings are skipped, so `"[[["` does not count. */
function jsonDepthExceeded(raw: string, limit: number): string | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > limit) return raw[i];
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return undefined;
}

/**
 * Parses a YAML body. JSON (what kubectl and client libraries send, also as `application/apply-patch+yaml`) goes to
 * the JSON parser, which does not recurse; real YAML must first pass a nesting measure that bounds the YAML parser's
 * recursion. `parse` is the YAML parser, whose errors the caller words.
 */
export function parseYamlBody(raw: string, parse: (text: string) => unknown): unknown {
  const start = raw.trimStart()[0];
  if (start === '{' || start === '[') {
    const tooDeep = jsonDepthExceeded(raw, maxNestingDepth);
    if (tooDeep) throw errors.badRequest(`the request body is not valid JSON: invalid character '${tooDeep}' exceeded max depth of ${maxNestingDepth}`);
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      // not JSON after all (a YAML flow mapping such as `{a: 1}`): the YAML path below
    }
  }
  return parseBoundedYaml(raw, parse);
}

function parseBoundedYaml(raw: string, parse: (text: string) => unknown): unknown {
  if (yamlNestingDepth(raw) > maxYamlNestingDepth) {
    throw errors.badRequest(`the request body exceeded max depth of ${maxYamlNestingDepth} nested YAML collections`);
  }
  const value = parse(raw);
  checkNestingDepth(value);
  return value;
}

/**
 * How deeply a YAML text nests collections, measured on the parser's own syntax tree (its tokenizer and CST parser
 * keep explicit stacks and do not recurse; building values from the tree does), walked without recursion.
 */
export function yamlNestingDepth(raw: string): number {
  let max = 0;
  const collections = new Set(['block-map', 'block-seq', 'flow-collection']);
  for (const token of new Parser().parse(raw)) {
    const stack: [unknown, number][] = [[token, 0]];
    while (stack.length > 0) {
      const [node, depth] = stack.pop()!;
      if (typeof node !== 'object' || node === null) continue;
      const type = (node as { type?: unknown }).type;
      const here = typeof type === 'string' && collections.has(type) ? depth + 1 : depth;
      max = Math.max(max, here);
      const { key, value, items } = node as { key?: unknown; value?: unknown; items?: unknown };
      if (key !== undefined) stack.push([key, here]);
      if (value !== undefined) stack.push([value, here]);
      if (Array.isArray(items)) for (const item of items) stack.push([item, here]);
    }
  }
  return max;
}

/** Refuses a decoded value (YAML, protobuf) nesting deeper than `maxNestingDepth`; iterative, so it cannot overflow. */
export function checkNestingDepth(value: unknown): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > maxNestingDepth) throw errors.badRequest(`the request body exceeded max depth of ${maxNestingDepth} nested objects and arrays`);
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
}

/** kube-apiserver's limits on Warning headers: 4 KiB of text in all; past that each warning is cut to 256 characters. */
const warningTotalRunes = 4 * 1024;
const warningItemRunes = 256;

/**
 * `Warning` header values for `texts`, as kube-apiserver writes them: `299 - "text"` with `"` and `\` escaped,
 * duplicates dropped, texts with control characters skipped, and every item cut to 256 characters once the total
 * passes 4 KiB. The values carry UTF-8 bytes (Node writes header strings as Latin-1, one byte per character).
 */
export function warningHeaderValues(texts: readonly string[]): string[] {
  const unique = [...new Set(texts)].filter((t) => t.length > 0 && !/\p{Cc}/u.test(t));
  const truncating = unique.reduce((n, t) => n + [...t].length, 0) > warningTotalRunes;
  const out: string[] = [];
  let written = 0;
  for (const text of unique) {
    // Once cut short, warnings stop when the cut ones fill the budget again.
    if (truncating && written >= warningTotalRunes) break;
    const runes = [...text];
    const kept = truncating && runes.length > warningItemRunes ? runes.slice(0, warningItemRunes) : runes;
    written += kept.length;
    const quoted = `299 - "${kept.join('').replace(/["\\]/g, (c) => `\\${c}`)}"`;
    out.push(Buffer.from(quoted, 'utf8').toString('latin1'));
  }
  return out;
}

function truncate(value: string): string {
  return value.length > 100 ? `${value.slice(0, 100)}…` : value;
}

