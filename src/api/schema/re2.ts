// Schema `pattern`s as kube-apiserver evaluates them: Go regexp syntax on the RE2 engine (linear time, no backtracking).
import { createRequire } from 'node:module';

/** A compiled pattern; `test` runs in time linear in the input, whatever the pattern. */
export interface Re2Pattern {
  test(value: string): boolean;
  /** Every non-overlapping match, left to right: the whole match, then each capture group (undefined when it took no part). */
  matchAll(value: string): (string | undefined)[][];
}

/** Why a pattern does not compile, worded as Go's regexp.Compile words it: ``error parsing regexp: invalid escape sequence: `\1` ``. */
export interface Re2SyntaxError {
  error: string;
}

interface WrappedRe2 {
  ok(): boolean;
  error(): string;
  match(input: string, start: number, captures: boolean): { index: number; match?: string; groups?: (string | undefined)[] };
  delete(): void;
}

interface Re2Module {
  WrappedRE2: new (pattern: string, ignoreCase: boolean, multiline: boolean, dotAll: boolean) => WrappedRe2;
}

const require = createRequire(import.meta.url);
const modulePath = require.resolve('re2-wasm/build/wasm/re2.js');

/**
 * The wasm build of RE2 has a fixed 16 MiB heap and aborts when it runs out. An abort leaves that instance unusable, so
 * the engine is loaded again (a few milliseconds) and every pattern compiled in the old one is forgotten.
 */
let engine: Re2Module | undefined;
let generation = 0;

function load(): Re2Module {
  if (!engine) {
    // The module is a CommonJS singleton; a fresh evaluation gives a fresh heap.
    Reflect.deleteProperty(require.cache, modulePath);
    // It binds console.log/console.warn as it loads, to print its own aborts; those are handled here, so it prints nothing.
    const { log, warn } = console;
    console.log = console.warn = () => undefined;
    try {
      engine = require(modulePath) as Re2Module;
    } finally {
      console.log = log;
      console.warn = warn;
    }
    generation += 1;
  }
  return engine;
}

function reset(): void {
  engine = undefined;
  cache.clear();
}

interface Compiled {
  wrapped: WrappedRe2;
  generation: number;
}

/** Compiled patterns by source, least recently used first; evicted ones are freed in the wasm heap. */
const cache = new Map<string, Compiled | Re2SyntaxError>();
const cacheLimit = 256;

/** RE2's error codes (re2.cc) as Go's regexp/syntax names them, which is what kube-apiserver reports. */
const goCodes: Record<string, string> = {
  'invalid escape sequence': 'invalid escape sequence',
  'invalid character class': 'invalid character class',
  'invalid character class range': 'invalid character class range',
  'missing ]': 'missing closing ]',
  'missing )': 'missing closing )',
  'unexpected )': 'unexpected )',
  'trailing \\': 'trailing backslash at end of expression',
  'no argument for repetition operator': 'missing argument to repetition operator',
  'invalid repetition size': 'invalid repeat count',
  'bad repetition operator': 'invalid nested repetition operator',
  'invalid perl operator': 'invalid or unsupported Perl syntax',
  'invalid UTF-8': 'invalid UTF-8',
  'invalid named capture group': 'invalid named capture',
  'pattern too large - compile failed': 'expression too large',
};

/** Compiles `pattern` with Go's syntax, or says why Go would refuse it. */
export function compileRe2(pattern: string): Re2Pattern | Re2SyntaxError {
  const cached = cache.get(pattern);
  if (cached !== undefined) {
    cache.delete(pattern);
    cache.set(pattern, cached);
    return 'wrapped' in cached ? patternOf(pattern, cached) : cached;
  }
  const translated = toRe2Syntax(pattern);
  let result: Compiled | Re2SyntaxError;
  if ('error' in translated) {
    result = translated;
  } else {
    const wrapped = construct(translated.source);
    if (wrapped.ok()) {
      result = { wrapped, generation };
    } else {
      result = { error: goError(wrapped.error(), pattern) };
      wrapped.delete();
    }
  }
  cache.set(pattern, result);
  while (cache.size > cacheLimit) {
    const [oldest, evicted] = cache.entries().next().value as [string, Compiled | Re2SyntaxError];
    cache.delete(oldest);
    if ('wrapped' in evicted && evicted.generation === generation) evicted.wrapped.delete();
  }
  return 'wrapped' in result ? patternOf(pattern, result) : result;
}

function patternOf(pattern: string, compiled: Compiled): Re2Pattern {
  /** Runs `use` on the live compiled pattern; a heap abort gets one retry on a fresh engine, then `fallback`. */
  const withWrapped = <T>(use: (wrapped: WrappedRe2) => T, fallback: T): T => {
    let current: Compiled | undefined = compiled;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        if (current && current.generation === generation && cache.get(pattern) === current) return use(current.wrapped);
      } catch {
        // The heap ran out: the instance is unusable; the retry runs on a fresh one.
        reset();
      }
      current = 'error' in compileRe2(pattern) ? undefined : (cache.get(pattern) as Compiled | undefined);
    }
    return fallback;
  };
  return {
    // A value too large for the engine's heap even on a fresh instance does not match: refused, never let through.
    test: (value) => withWrapped((w) => w.match(value, 0, false).index >= 0, false),
    matchAll: (value) =>
      withWrapped((w) => {
        const out: (string | undefined)[][] = [];
        for (let at = 0; at <= value.length; ) {
          const m = w.match(value, at, true);
          if (m.index < 0 || m.match === undefined) break;
          out.push([m.match, ...(m.groups ?? [])]);
          at = m.index + Math.max(1, m.match.length);
        }
        return out;
      }, []),
  };
}

/** Compiles on the current engine; an abort (heap exhausted) gets one more try on a fresh engine. */
function construct(source: string): WrappedRe2 {
  for (let attempt = 0; ; attempt++) {
    try {
      return new (load().WrappedRE2)(source, false, false, false);
    } catch (err) {
      reset();
      if (attempt > 0) throw err;
    }
  }
}

/**
 * Go accepts two spellings RE2's C++ parser (as built into re2-wasm) does not, and refuses one it accepts: named groups
 * may be written `(?<name>…)` (Go 1.22), and `\C` (any byte) is not Go syntax.
 */
function toRe2Syntax(pattern: string): { source: string } | Re2SyntaxError {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === 'C') return { error: 'error parsing regexp: invalid escape sequence: `\\C`' };
      if (next === 'Q' && !inClass) {
        // \Q…\E is literal text: copied as is, so that nothing inside is rewritten.
        const end = pattern.indexOf('\\E', i + 2);
        const stop = end < 0 ? pattern.length : end + 2;
        out += pattern.slice(i, stop);
        i = stop - 1;
        continue;
      }
      out += next === undefined ? c : c + next;
      i += 1;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A `]` right after `[` or `[^` is a literal member, not the end of the class.
      if (pattern[i + 1] === '^') {
        out += '^';
        i += 1;
      }
      if (pattern[i + 1] === ']') {
        out += ']';
        i += 1;
      }
      continue;
    }
    if (pattern.startsWith('(?<', i)) {
      const after = pattern[i + 3];
      if (after === '=' || after === '!') return { error: `error parsing regexp: invalid named capture: \`${pattern.slice(i)}\`` };
      out += '(?P<';
      i += 2;
      continue;
    }
    out += c;
  }
  return { source: out };
}

/** `invalid escape sequence: \1` (RE2) → ``error parsing regexp: invalid escape sequence: `\1` `` (Go). */
function goError(re2Message: string, pattern: string): string {
  for (const [code, go] of Object.entries(goCodes).sort((a, b) => b[0].length - a[0].length)) {
    if (re2Message === code) return `error parsing regexp: ${go}: \`${code === 'trailing \\' ? '' : pattern}\``;
    if (re2Message.startsWith(`${code}: `)) {
      const arg = re2Message.slice(code.length + 2);
      // Named groups written `(?<name>` reach RE2 as `(?P<name>`: quote what the user wrote.
      const written = pattern.includes(arg) ? arg : arg.replace('(?P<', '(?<');
      return `error parsing regexp: ${go}: \`${written}\``;
    }
  }
  return `error parsing regexp: ${re2Message}`;
}
