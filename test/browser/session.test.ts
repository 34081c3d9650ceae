// Signing in to a token-protected Floe in a real browser (Debian's chromium via playwright-core): the token typed once
// becomes an HttpOnly session cookie, the pages work (launching and stopping a notebook: a POST and a PATCH that need
// the CSRF token, also after a reload), nothing lands in the browser's storage, and signing out ends the session.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { defaultConfig } from '../../src/server/config.js';
import { startFloe, type Floe } from '../../src/server/floe.js';
import { waitFor } from '../helpers/wait.js';
import { checkPage, chromiumArgs, chromiumPath, skipReason, watchPage } from './harness.js';

const skip = skipReason();
if (skip) console.error(`[browser] skipped: ${skip}`);

describe('dashboard sign-in session in chromium', { skip }, () => {
  let dir: string;
  let floe: Floe;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[] = [];
  const adminToken = 'browser-session-admin-0123456789';
  const alice = 'browser-session-alice-0123456789';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floe-browser-session-'));
    const tokenFile = join(dir, 'tokens.csv');
    await writeFile(tokenFile, `${alice},alice@example.com,alice-uid,"kubeflow-users"\n`, { mode: 0o600 });
    floe = await startFloe({ ...defaultConfig(), dataDir: join(dir, 'data'), port: 0, logLevel: 'silent', controllers: true, runPods: false, token: adminToken, tokenAuthFile: tokenFile });
    await floe.client.create({ apiVersion: 'kubeflow.org/v1', kind: 'Profile', metadata: { name: 'team-a' }, spec: { owner: { kind: 'User', name: 'alice@example.com' } } });
    // The profile controller binds alice in team-a; the pages she opens need that binding.
    await waitFor(async () => (await floe.client.list({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' }, { namespace: 'team-a' })).items.length > 0, { what: 'alice bound in team-a', timeoutMs: 30_000 });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    // Floe's own CA signs its certificate; the browser is told to accept it rather than given a trust store.
    context = await browser.newContext({ viewport: { width: 1360, height: 900 }, ignoreHTTPSErrors: true });
    page = await context.newPage();
    problems = watchPage(page);
  });
  after(async () => {
    await browser?.close();
    await floe?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const url = (path: string) => `${floe.url}/ui${path}`;
  const storage = (): Promise<string> => page.evaluate<string>('JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie })');

  test('sign in with a token through the page, use it, reload, sign out', async () => {
    await page.goto(url('/?ns=team-a'));
    const tokenBox = page.getByLabel('Bearer token');
    await tokenBox.waitFor();
    await checkPage(page, 'session-sign-in', problems);

    // A wrong token: an error under the box, still signed out.
    await tokenBox.fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Floe does not know that token.').waitFor();
    assert.deepEqual(await context.cookies(), []);

    await tokenBox.fill(alice);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Namespace team-a' }).waitFor();
    await page.getByLabel('Signed in as').getByText('alice@example.com').waitFor();
    await checkPage(page, 'session-home', problems);

    // The cookie is the browser's, out of the page's reach; no token anywhere the page's scripts can read back.
    const cookies = await context.cookies();
    assert.equal(cookies.length, 1, JSON.stringify(cookies));
    assert.equal(cookies[0]!.name, '__Host-floe-session');
    assert.equal(cookies[0]!.httpOnly, true);
    assert.equal(cookies[0]!.secure, true);
    assert.equal(cookies[0]!.sameSite, 'Strict');
    assert.equal(cookies[0]!.path, '/');
    const kept = await storage();
    assert.equal(kept, JSON.stringify({ local: {}, session: {}, cookie: '' }));
    assert.doesNotMatch(kept, new RegExp(alice));

    // Navigate, then reload: the session carries on, and the page's POST and PATCH (launch and stop a notebook) get
    // the session's CSRF token again, after the reload, from the session route.
    await page.getByRole('link', { name: 'Notebooks', exact: true }).click();
    await page.getByRole('heading', { name: 'Notebooks', level: 1 }).waitFor();
    await page.reload();
    await page.getByRole('form', { name: 'New notebook' }).waitFor();
    await page.getByRole('textbox', { name: 'Name' }).fill('nb-session');
    await page.getByRole('button', { name: 'Launch' }).click();
    const row = page.getByRole('table', { name: 'Notebooks' }).getByRole('row').filter({ hasText: 'nb-session' });
    await row.waitFor({ timeout: 30_000 });
    await row.getByRole('button', { name: 'Stop' }).click();
    await row.getByRole('button', { name: 'Start' }).waitFor({ timeout: 30_000 });
    await checkPage(page, 'session-notebooks', problems);
    const notebook = await floe.client.get({ apiVersion: 'kubeflow.org/v1', kind: 'Notebook' }, 'nb-session', 'team-a');
    assert.ok(notebook.metadata.annotations?.['kubeflow-resource-stopped'], 'stopped through the page, as alice');

    // The same POST from the page's origin without the CSRF header is refused: the cookie alone never changes state.
    const bare = await page.evaluate(() => fetch('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ spec: { resourceAttributes: { namespace: 'team-a', verb: 'list', resource: 'pods' } } }) }).then((r) => r.status));
    assert.equal(bare, 403);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('Your session has ended.').waitFor();
    await page.getByLabel('Bearer token').waitFor();
    await checkPage(page, 'session-signed-out', problems);
    // The session cookie is gone (the Jupyter web app's XSRF-TOKEN, a non-secret double-submit value, may stay).
    assert.deepEqual((await context.cookies()).filter((c) => c.name.includes('floe-session')), []);
    assert.equal(await page.evaluate(() => fetch('/api/workgroup/env-info').then((r) => r.status)), 401);
    await page.reload();
    await page.getByLabel('Bearer token').waitFor();
    assert.equal(await storage(), JSON.stringify({ local: {}, session: {}, cookie: '' }));
  });
});
