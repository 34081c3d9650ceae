// A profile user of a multi-user Floe (token sign-in, a Profile, KFP in multi-user mode) uses the dashboard in Debian's
// chromium: Home lists the namespace's runs without a cluster-scope error, the upload dialog puts a private pipeline in
// the selected namespace (shared pipelines need a cluster-wide grant on purpose), the list shows it with the shared
// ones, and a run of it succeeds and is listed.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { defaultConfig } from '../../src/server/config.js';
import { startFloe, type Floe } from '../../src/server/floe.js';
import { waitFor } from '../helpers/wait.js';
import { checkPage, chromiumArgs, chromiumPath, root, skipReason, watchPage } from './harness.js';

const skip = skipReason();
if (skip) console.error(`[browser] skipped: ${skip}`);

describe('a profile user of a multi-user Floe in chromium', { skip }, () => {
  let dir: string;
  let floe: Floe;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[] = [];
  const adminToken = 'browser-profile-admin-0123456789';
  const alice = 'browser-profile-alice-0123456789';
  const admin = { Authorization: `Bearer ${adminToken}` };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floe-browser-profile-'));
    const tokenFile = join(dir, 'tokens.csv');
    await writeFile(tokenFile, `${alice},alice@example.com,alice-uid,"kubeflow-users"\n`, { mode: 0o600 });
    floe = await startFloe({ ...defaultConfig(), dataDir: join(dir, 'data'), port: 0, logLevel: 'silent', controllers: true, runPods: true, token: adminToken, tokenAuthFile: tokenFile, multiUser: true });
    await floe.client.create({ apiVersion: 'kubeflow.org/v1', kind: 'Profile', metadata: { name: 'team-a' }, spec: { owner: { kind: 'User', name: 'alice@example.com' } } });
    await waitFor(async () => (await floe.client.list({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' }, { namespace: 'team-a' })).items.length > 0, { what: 'alice bound in team-a', timeoutMs: 30_000 });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    context = await browser.newContext({ viewport: { width: 1360, height: 900 }, ignoreHTTPSErrors: true });
    // A shared pipeline (no namespace) that only a cluster-wide grant may upload: the admin's.
    const shared = await context.request.post(`${floe.url}/apis/v2beta1/pipelines/upload?name=hello-shared&display_name=hello-shared`, {
      headers: admin,
      multipart: { uploadfile: { name: 'hello-pipeline.yaml', mimeType: 'application/x-yaml', buffer: await readFile(join(root, 'test', 'browser', 'fixtures', 'hello-pipeline.yaml')) } },
    });
    assert.equal(shared.status(), 200, await shared.text());
    page = await context.newPage();
    problems = watchPage(page);
  });
  after(async () => {
    await browser?.close();
    await floe?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const url = (path: string) => `${floe.url}/ui${path}`;
  const nav = (name: string) => page.getByLabel('Sections').getByRole('link', { name, exact: true });

  test('sign in, Home without errors, upload a private pipeline, run it, see the run', async () => {
    await page.goto(url('/?ns=team-a'));
    await page.getByLabel('Bearer token').fill(alice);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Namespace team-a' }).waitFor();
    // The runs card has answered (its "None yet." line) or an error box is shown; the runs list must carry the namespace.
    const recent = page.getByRole('region', { name: 'Recent runs' });
    await waitFor(async () => (await recent.getByText('None yet.').count()) > 0 || (await page.getByRole('alert').count()) > 0, { what: 'Home answered', timeoutMs: 30_000 });
    await checkPage(page, 'profile-home', problems);
    assert.equal(await page.getByRole('alert').count(), 0, await page.locator('main').innerText());
    assert.doesNotMatch(await page.locator('main').innerText(), /forbidden/i);

    await nav('Pipelines').click();
    await page.getByRole('heading', { name: 'Pipelines', level: 1 }).waitFor();
    await page.getByText('Uploaded as a private pipeline of the namespace team-a.').waitFor();
    const fixture = join(root, 'test', 'browser', 'fixtures', 'hello-pipeline.yaml');
    await page.locator('input[type=file]').first().setInputFiles({ name: 'hello-pipeline.yaml', mimeType: 'application/x-yaml', buffer: await readFile(fixture) });
    await page.getByLabel('Pipeline name').fill('hello-private');
    await page.getByRole('button', { name: 'Upload' }).first().click();
    await page.getByRole('heading', { name: 'hello-private', level: 1 }).waitFor();
    await checkPage(page, 'profile-pipeline', problems);

    // KFP stored it as team-a's private pipeline, and the list shows it beside the shared one the admin uploaded.
    const mine = (await (await context.request.get(`${floe.url}/apis/v2beta1/pipelines?namespace=team-a`, { headers: admin })).json()) as { pipelines?: { display_name: string; namespace?: string }[] };
    assert.deepEqual(mine.pipelines?.map((p) => [p.display_name, p.namespace ?? '']).sort(), [['hello-private', 'team-a'], ['hello-shared', '']]);
    await nav('Pipelines').click();
    const list = page.getByRole('table', { name: 'Pipelines' });
    await list.getByRole('link', { name: 'hello-shared' }).waitFor();
    await list.getByRole('row').filter({ hasText: 'hello-shared' }).getByText('Shared', { exact: true }).waitFor();
    await list.getByRole('row').filter({ hasText: 'hello-private' }).getByText('Private (team-a)').waitFor();
    await checkPage(page, 'profile-pipelines', problems);
    await list.getByRole('link', { name: 'hello-private' }).click();
    await page.getByRole('heading', { name: 'hello-private', level: 1 }).waitFor();

    await page.getByLabel('greeting').fill('from team-a');
    await page.getByLabel('Run name').fill('hello-private-run');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.getByTestId('run-graph').waitFor();
    await page.getByTestId('run-state').getByText('SUCCEEDED').waitFor({ timeout: 180_000 });
    // The task's logs are read from team-a (where the run's Pods ran), and the run is in team-a's own experiment.
    await page.locator('[data-node="say-hello"]').click();
    await page.getByTestId('task-logs').getByText('said from team-a').waitFor({ timeout: 30_000 });
    await checkPage(page, 'profile-run', problems);
    const runs = (await (await context.request.get(`${floe.url}/apis/v2beta1/runs?namespace=team-a`, { headers: admin })).json()) as { runs?: { display_name: string; experiment_id: string }[] };
    const experiment = (await (await context.request.get(`${floe.url}/apis/v2beta1/experiments/${runs.runs?.[0]?.experiment_id ?? 'none'}`, { headers: admin })).json()) as { display_name?: string; namespace?: string };
    assert.deepEqual([runs.runs?.map((r) => r.display_name), experiment.display_name, experiment.namespace], [['hello-private-run'], 'Default', 'team-a']);

    // Recurring runs lists its runs, experiments and pipelines with the namespace too.
    await nav('Recurring runs').click();
    await page.getByRole('heading', { name: 'Recurring runs', level: 1 }).waitFor();
    await page.getByRole('table', { name: 'Recurring runs' }).waitFor();
    assert.equal(await page.getByRole('alert').count(), 0, await page.locator('main').innerText());

    await nav('Runs').click();
    await page.getByRole('heading', { name: 'Runs', level: 1 }).waitFor();
    await page.getByRole('table', { name: 'Runs' }).getByRole('link').first().waitFor({ timeout: 30_000 });
    await checkPage(page, 'profile-runs', problems);

    await nav('Home').click();
    await page.getByRole('heading', { name: 'Namespace team-a' }).waitFor();
    await recent.getByRole('link').filter({ hasText: 'hello-private' }).first().waitFor({ timeout: 30_000 });
    await checkPage(page, 'profile-home-run', problems);
    assert.doesNotMatch(await page.locator('main').innerText(), /forbidden/i);
  });
});
