// The JSONPath subset of printer columns: .a.b, [0], [?(@.k=="v")], and escaped dots in keys.
export function evaluateColumnPath(object: unknown, jsonPath: string): unknown {
  let path = jsonPath.trim();
  if (path.startsWith('{') && path.endsWith('}')) path = path.slice(1, -1);
  if (path.startsWith('$')) path = path.slice(1);
  let current: unknown = object;
  let i = 0;
  while (i < path.length && current !== undefined) {
    if (path[i] === '.') {
      i++;
      let key = '';
      while (i < path.length && path[i] !== '.' && path[i] !== '[') {
        if (path[i] === '\\' && i + 1 < path.length) { key += path[i + 1]; i += 2; continue; }
        key += path[i];
        i++;
      }
      current = isRecord(current) ? current[key] : undefined;
    } else if (path[i] === '[') {
      const end = path.indexOf(']', i);
      if (end < 0) return undefined;
      const inner = path.slice(i + 1, end).trim();
      i = end + 1;
      if (/^-?\d+$/.test(inner)) {
        if (!Array.isArray(current)) return undefined;
        const n = Number(inner);
        current = current[n < 0 ? current.length + n : n];
      } else {
        const m = /^\?\(@\.([\w.-]+)\s*==\s*["']?([^"']*)["']?\)$/.exec(inner);
        if (!m || !Array.isArray(current)) return undefined;
        const [, field = '', want = ''] = m;
        current = current.find((el) => String(evaluateColumnPath(el, `.${field}`)) === want);
      }
    } else {
      return undefined;
    }
  }
  return current;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
