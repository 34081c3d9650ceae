// KFP's views in the dashboard, in chromium against a real embedded Floe: a run's visualisation artifacts (scalar
// metrics, confusion matrix, ROC curve, Markdown without raw HTML, HTML in a sandbox where scripts do not run),
// comparing two runs, and recurring runs (create by cron and by interval, disable, delete) — each page screenshotted
// and scanned with axe-core.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startEmbeddedFloe, type EmbeddedFloe } from '../helpers/embedded-floe.js';
import { waitFor } from '../helpers/wait.js';
import { checkPage, chromiumArgs, chromiumPath, root, screenshotPath, skipReason } from './harness.js';

const skip = skipReason();
if (skip) console.error(`[browser] skipped: ${skip}`);

interface RunOut {
  run_id: string;
  state?: string;
}

describe('dashboard: KFP visualisations, compare runs, recurring runs', { skip }, () => {
  let floe: EmbeddedFloe;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  /** The browser's report that an HTML artifact's script was stopped by the sandbox: the defence working, not a fault. */
  const blockedScripts: string[] = [];
  let pipelineId = '';
  const runIds: string[] = [];

  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${floe.floe.url}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : {}) as T;
  };

  before(async () => {
    floe = await startEmbeddedFloe('floe-browser-kfp-');
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    page = await (await browser.newContext({ viewport: { width: 1360, height: 900 } })).newPage();
    page.on('console', (m) => {
      if (m.type() !== 'error' || /Failed to load resource/.test(m.text())) return;
      if (/^Blocked script execution in 'about:srcdoc'/.test(m.text())) blockedScripts.push(m.text());
      else problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    // The pipeline and two runs with different learning rates, through the KFP REST API as kfp.Client would.
    const form = new FormData();
    form.append('uploadfile', new Blob([await readFile(join(root, 'test', 'browser', 'fixtures', 'viz-pipeline.yaml'))], { type: 'application/x-yaml' }), 'viz-pipeline.yaml');
    const up = await fetch(`${floe.floe.url}/apis/v2beta1/pipelines/upload?name=viz-dashboard&display_name=viz-dashboard`, { method: 'POST', body: form });
    assert.equal(up.status, 200, await up.clone().text());
    pipelineId = ((await up.json()) as { pipeline_id: string }).pipeline_id;
    const versions = await api<{ pipeline_versions: { pipeline_version_id: string }[] }>('GET', `/apis/v2beta1/pipelines/${pipelineId}/versions`);
    const versionId = versions.pipeline_versions[0]!.pipeline_version_id;
    for (const [name, lr] of [['viz-slow', 0.01], ['viz-fast', 0.12]] as const) {
      const run = await api<RunOut>('POST', '/apis/v2beta1/runs', { display_name: name, pipeline_version_reference: { pipeline_id: pipelineId, pipeline_version_id: versionId }, runtime_config: { parameters: { lr } } });
      runIds.push(run.run_id);
    }
    for (const id of runIds) {
      await waitFor(async () => (await api<RunOut>('GET', `/apis/v2beta1/runs/${id}`)).state === 'SUCCEEDED', { what: `run ${id} SUCCEEDED`, timeoutMs: 180_000 });
    }
  });
  after(async () => {
    await browser?.close();
    await floe?.stop();
  });

  const url = (path: string) => `${floe.floe.url}/ui${path}`;

  const check = (name: string): Promise<void> => checkPage(page, name, problems);

  test('a task\'s artifacts previewed: metrics table, confusion matrix, ROC curve, safe Markdown, sandboxed HTML', async () => {
    await page.goto(url(`/runs/${runIds[1]}?ns=default&task=report`));
    const metrics = page.getByTestId('scalar-metrics');
    await metrics.getByRole('row').filter({ hasText: 'accuracy' }).getByText('0.92').waitFor({ timeout: 30_000 });
    await metrics.getByRole('row').filter({ hasText: 'epochs' }).getByText('10').waitFor();
    // The confusion matrix as a grid: rows are true labels, columns predictions.
    const matrix = page.getByRole('table', { name: /Confusion matrix of classification/ });
    await matrix.waitFor();
    assert.deepEqual(await matrix.getByRole('row').filter({ hasText: 'versicolor' }).last().getByRole('cell').allInnerTexts(), ['0', '8', '2']);
    await page.getByTestId('roc-curve').locator('canvas').first().waitFor();
    // Markdown: headings, emphasis, lists and tables rendered; raw HTML left as text, never an element.
    const md = page.getByTestId('markdown-preview');
    await md.getByRole('heading', { name: 'Training report' }).waitFor();
    await md.getByRole('table').getByRole('cell', { name: '120' }).waitFor();
    await md.getByText('<img src=x onerror=alert(1)> raw HTML stays text.').waitFor();
    assert.equal(await md.locator('img').count(), 0);
    assert.equal(await md.locator('strong').first().innerText(), '92%');
    // HTML: shown in a sandboxed frame; its own script did not run.
    const frame = page.frameLocator('iframe[title="HTML artifact page"]');
    await frame.getByRole('heading', { name: 'Static HTML report' }).waitFor();
    assert.equal(await page.locator('iframe[title="HTML artifact page"]').getAttribute('sandbox'), '');
    assert.equal(await frame.getByText('SCRIPT RAN').count(), 0);
    await waitFor(() => blockedScripts.length > 0, { what: 'chromium reports the artifact\'s script blocked', timeoutMs: 10_000 });
    await check('run-visualizations');
    await page.locator('iframe[title="HTML artifact page"]').screenshot({ path: await screenshotPath('html-artifact') });

    // The file behind it, through KFP's ArtifactService: HTML comes with a policy that forbids scripts.
    const html = (await api<{ artifacts: { id: number; type: string }[] }>('GET', '/mlmd/v1/artifacts?type=system.HTML')).artifacts[0]!;
    const download = await api<{ download_url: string; artifact_type: string }>('GET', `/apis/v2beta1/artifacts/${html.id}?view=DOWNLOAD`);
    assert.equal(download.artifact_type, 'system.HTML');
    const file = await fetch(`${floe.floe.url}${download.download_url}`);
    assert.equal(file.status, 200);
    assert.match(file.headers.get('content-security-policy') ?? '', /^sandbox; default-src 'none'/);
    assert.match(await file.text(), /Static HTML report/);
    // The same previews on the Lineage page, reached from the task's artifact id.
    await page.getByRole('table', { name: 'Outputs artifacts' }).getByRole('row').filter({ hasText: /^metrics/ }).getByRole('link').click();
    await page.getByRole('heading', { name: 'Lineage', level: 1 }).waitFor();
    await page.getByTestId('scalar-metrics').getByText('0.92').waitFor();
    await check('lineage-metrics');
  });

  test('compare runs: pick two in the list, parameters and metrics side by side', async () => {
    await page.goto(url('/runs?ns=default'));
    await page.getByRole('checkbox', { name: 'Compare viz-slow' }).check();
    await page.getByRole('checkbox', { name: 'Compare viz-fast' }).check();
    await page.getByRole('button', { name: /^Compare/ }).click();
    await page.getByRole('heading', { name: 'Compare runs', level: 1 }).waitFor();
    const params = page.getByTestId('compare-parameters');
    const lr = params.getByRole('row').filter({ hasText: 'lr' });
    await lr.waitFor();
    assert.deepEqual((await lr.getByRole('cell').allInnerTexts()).slice(1).sort(), ['0.01', '0.12']);
    const accuracy = page.getByTestId('compare-metrics').getByRole('row').filter({ hasText: 'report · metrics · accuracy' });
    await accuracy.waitFor({ timeout: 30_000 });
    assert.deepEqual((await accuracy.getByRole('cell').allInnerTexts()).slice(1).sort(), ['0.81', '0.92']);
    assert.equal(await accuracy.getAttribute('data-differs'), 'true');
    await check('compare');
  });

  test('recurring runs: create by cron and by interval, disable, delete', async () => {
    const experiment = await api<{ experiment_id: string }>('POST', '/apis/v2beta1/experiments', { display_name: 'viz-nightly' });
    await page.goto(url('/recurring?ns=default'));
    await page.getByRole('heading', { name: 'Recurring runs', level: 1 }).waitFor();
    const form = page.getByRole('form', { name: 'Create a recurring run' });
    await form.getByLabel('Recurring run name').fill('nightly-viz');
    await form.getByLabel('Pipeline', { exact: true }).click();
    await page.getByRole('option', { name: 'viz-dashboard' }).click();
    // Its version, experiment and parameters: the version's own parameter fields, with their defaults.
    await form.getByLabel('Pipeline version').click();
    await page.getByRole('listbox').getByRole('option').first().click();
    await form.getByLabel('Experiment').click();
    await page.getByRole('listbox').getByRole('option', { name: 'viz-nightly' }).click();
    const lr = form.getByRole('group', { name: 'Parameters' }).getByLabel('lr');
    await lr.fill('0.05');
    await form.getByLabel('Cron expression').fill('0 30 2 * * *');
    await check('recurring-form');
    await form.getByRole('button', { name: 'Create recurring run' }).click();
    const table = page.getByRole('table', { name: 'Recurring runs' });
    await table.getByRole('row').filter({ hasText: 'nightly-viz' }).getByText('cron 0 30 2 * * *').waitFor();
    const made = (await api<{ recurringRuns: { display_name: string; experiment_id?: string; runtime_config?: { parameters?: Record<string, unknown> }; pipeline_version_reference?: { pipeline_id: string } }[] }>('GET', '/apis/v2beta1/recurringruns')).recurringRuns.find((r) => r.display_name === 'nightly-viz');
    assert.equal(made?.experiment_id, experiment.experiment_id);
    assert.deepEqual(made?.runtime_config?.parameters, { lr: 0.05 });
    assert.equal(made?.pipeline_version_reference?.pipeline_id, pipelineId);
    await form.getByLabel('Recurring run name').fill('hourly-viz');
    await form.getByText('Interval', { exact: true }).click();
    await form.getByLabel('Interval in seconds').fill('3600');
    await form.getByRole('button', { name: 'Create recurring run' }).click();
    await table.getByRole('row').filter({ hasText: 'hourly-viz' }).getByText('every 3600 s').waitFor();
    await page.getByRole('button', { name: 'Disable nightly-viz' }).click();
    await page.getByRole('button', { name: 'Enable nightly-viz' }).waitFor();
    const listed = await api<{ recurringRuns: { display_name: string; mode: string }[] }>('GET', '/apis/v2beta1/recurringruns');
    assert.equal(listed.recurringRuns.find((r) => r.display_name === 'nightly-viz')?.mode, 'DISABLE');
    await check('recurring');
    await page.getByRole('button', { name: 'Delete hourly-viz' }).click();
    await waitFor(async () => (await table.getByRole('row').filter({ hasText: 'hourly-viz' }).count()) === 0, { what: 'hourly-viz gone', timeoutMs: 15_000 });
    const after = await api<{ recurringRuns?: { display_name: string }[] }>('GET', '/apis/v2beta1/recurringruns');
    assert.deepEqual((after.recurringRuns ?? []).map((r) => r.display_name), ['nightly-viz']);
  });
});
