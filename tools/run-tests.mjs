// Runs every compiled test file (dist/**/*.test.js) with node:test. Pass folders or files to narrow.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

function walk(dir, out) {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = walk(dist, [])
  .filter((f) => filters.length === 0 || filters.some((x) => relative(dist, f).includes(x)))
  .sort();
console.error(`[floe test] ${files.length} test files`);
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
});
if (r.status !== 0 || filters.length > 0) process.exit(r.status ?? 1);
// Lint (type-aware rules and the one-way import direction) is part of the suite.
console.error('[floe test] eslint');
const lint = spawnSync(process.execPath, [join(root, 'node_modules', 'eslint', 'bin', 'eslint.js'), 'src', 'test', 'e2e', 'bench', 'examples', '--no-error-on-unmatched-pattern'], { cwd: root, stdio: 'inherit' });
process.exit(lint.status ?? 1);
