// The browser suite's harness: Debian's chromium through playwright-core (never a downloaded browser), a real embedded
// Floe, screenshots under test-artifacts/dashboard, and an axe-core scan of the page as it stands.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../..', import.meta.url).href.replace(/\/dist\/$/, '/'));
export const chromiumPath = process.env.FLOE_CHROMIUM ?? '/usr/bin/chromium';
export const artifacts = join(root, 'test-artifacts', 'dashboard');

/** Why the browser suite cannot run here, or undefined when it can. */
export function skipReason(): string | undefined {
  if (!existsSync(chromiumPath)) return `no chromium at ${chromiumPath} (npm test's set-up installs Debian's chromium as root; or apt-get install chromium)`;
  if (!existsSync(join(root, 'web', 'dist', 'index.html'))) return 'the dashboard is not built (web/dist/index.html missing: npm start or npm test builds it)';
  try {
    createRequire(import.meta.url).resolve('playwright-core');
  } catch {
    return 'playwright-core is not installed (npm ci)';
  }
  return undefined;
}

/** The flags Debian's chromium needs here: root has no sandbox, and nothing may call out to Google. */
export const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-default-apps'];

export async function screenshotPath(name: string): Promise<string> {
  await mkdir(artifacts, { recursive: true });
  return join(artifacts, `${name}.png`);
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

let axeSource: string | undefined;
/** Runs axe-core in the page (through the DevTools protocol, so the page's CSP is not loosened for it). */
export async function axeScan(page: { evaluate: <T>(fn: string | (() => T | Promise<T>)) => Promise<T> }): Promise<AxeViolation[]> {
  axeSource ??= await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const result = await page.evaluate<{ violations: AxeViolation[] }>(`axe.run(document, { resultTypes: ['violations'] }).then((r) => ({ violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })) }))`);
  return result.violations;
}

export function describeViolations(violations: readonly AxeViolation[]): string {
  return violations.map((v) => `${v.impact ?? ''} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`).join('\n');
}

interface CheckedPage {
  on(event: 'console', listener: (m: { type(): string; text(): string }) => void): unknown;
  on(event: 'pageerror', listener: (e: Error) => void): unknown;
  evaluate: <T>(fn: string | (() => T | Promise<T>)) => Promise<T>;
  screenshot(options: { path: string; fullPage: boolean }): Promise<unknown>;
}

/**
 * Collects what goes wrong in a page: a CSP violation or an uncaught error is a failure of the page, even where the
 * test's steps pass. Returns the list `checkPage` empties.
 */
export function watchPage(page: CheckedPage): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  return problems;
}

/**
 * A page as the user sees it now: a full-page screenshot (from the top: a scrolled full-page shot repeats the sticky
 * header mid-image), no serious or critical axe-core violation, and no error in the page since the last check.
 */
export async function checkPage(page: CheckedPage, name: string, problems: string[]): Promise<void> {
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: await screenshotPath(name), fullPage: true });
  const violations = await axeScan(page);
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.equal(serious.length, 0, `axe on ${name}:\n${describeViolations(serious)}`);
  if (violations.length) console.error(`[browser] axe (minor) on ${name}:\n${describeViolations(violations)}`);
  assert.deepEqual(problems.splice(0), [], `errors in the page on ${name}`);
}
