// A real Prometheus (Debian's `prometheus`) scrapes a token-protected Floe's /metrics over HTTPS, and PromQL answers what a dashboard asks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../src/server/config.js';
import { startFloe, type Floe } from '../src/server/floe.js';
import { createLogger } from '../src/server/logger.js';
import { waitFor } from './helpers/wait.js';

const prometheusBinary = spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0 ? 'prometheus' : undefined;
const skip = prometheusBinary ? false : 'the prometheus binary is not installed (tools/setup.mjs installs Debian\'s prometheus package as root: apt-get install prometheus)';
if (skip) process.stderr.write(`[prometheus.test] skipped: ${skip}\n`);

const token = 'prometheus-test-token-0123456789';

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

describe('Prometheus scrapes Floe', { skip }, () => {
  let floe: Floe;
  let dir: string;
  let ca: string;
  let prometheus: ChildProcess | undefined;
  let promUrl: string;
  let promLog = '';
  let traffic: NodeJS.Timeout | undefined;

  /** A request to Floe as a client with the token (HTTPS, Floe's own CA). */
  function floeRequest(method: string, path: string, body?: unknown, bearer: string | null = token): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = https.request(`${floe.url}${path}`, { method, ca, headers: { ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}), ...(payload ? { 'Content-Type': 'application/json' } : {}) } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.once('error', reject);
      req.end(payload);
    });
  }

  async function query(promql: string): Promise<Sample[]> {
    const response = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as { status: string; error?: string; data: { resultType: string; result: Sample[] } };
    assert.equal(body.status, 'success', `${promql}: ${body.error ?? ''}`);
    return body.data.result;
  }

  /** Waits until the PromQL query has a result every sample of which passes `ok`. */
  function until(promql: string, ok: (value: number, metric: Record<string, string>) => boolean = (v) => v > 0): Promise<Sample[]> {
    return waitFor(async () => {
      const result = await query(promql);
      return result.length > 0 && result.every((s) => ok(Number(s.value[1]), s.metric)) ? result : undefined;
    }, { what: `${promql} (prometheus log: ${promLog.slice(-500)})`, timeoutMs: 60_000, intervalMs: 500 });
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'floe-prometheus-'));
    floe = await startFloe({ ...defaultConfig(), dataDir: join(dir, 'floe'), port: 0, logLevel: 'silent', token, controllers: true, runPods: false }, createLogger({ level: 'silent' }));
    // Floe serves HTTPS with its own CA once it has a token; the kubeconfig carries the CA as kubectl needs it.
    const caData = /certificate-authority-data: (\S+)/.exec(readFileSync(floe.kubeconfigPath, 'utf8'))?.[1];
    assert.ok(caData, 'the kubeconfig names a CA');
    ca = Buffer.from(caData, 'base64').toString('utf8');
    writeFileSync(join(dir, 'ca.crt'), ca);
    writeFileSync(join(dir, 'token'), token, { mode: 0o600 });
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    const target = new URL(floe.url).host;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: floe
    scheme: https
    metrics_path: /metrics
    authorization:
      type: Bearer
      credentials_file: ${join(dir, 'token')}
    tls_config:
      ca_file: ${join(dir, 'ca.crt')}
    static_configs:
      - targets: ['${target}']
  - job_name: floe-without-token
    scheme: https
    tls_config:
      ca_file: ${join(dir, 'ca.crt')}
    static_configs:
      - targets: ['${target}']
`,
    );
    prometheus = spawn(prometheusBinary!, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    prometheus.stdout?.on('data', (d: Buffer) => (promLog += d.toString()));
    prometheus.stderr?.on('data', (d: Buffer) => (promLog += d.toString()));
    await waitFor(async () => (await fetch(`${promUrl}/-/ready`)).ok, { what: `prometheus to be ready (${promLog.slice(-500)})`, timeoutMs: 60_000, intervalMs: 250 });
    // What a cluster's clients do all day: list Pods, read one that is not there, create a Job the job controller reconciles.
    await floeRequest('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'scraped' } });
    await floeRequest('POST', '/apis/batch/v1/namespaces/scraped/jobs', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'work' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['true'] }] } } } });
    traffic = setInterval(() => {
      void floeRequest('GET', '/api/v1/namespaces/scraped/pods').catch(() => undefined);
      void floeRequest('GET', '/api/v1/namespaces/scraped/pods/missing').catch(() => undefined);
    }, 200);
  });

  after(async () => {
    clearInterval(traffic);
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await floe?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the target is up with the token, and down without it (401)', async () => {
    await until('up{job="floe"}', (v) => v === 1);
    await until('up{job="floe-without-token"}', (v) => v === 0);
    const targets = (await (await fetch(`${promUrl}/api/v1/targets`)).json()) as { data: { activeTargets: { labels: { job: string }; lastError: string }[] } };
    const refused = targets.data.activeTargets.find((t) => t.labels.job === 'floe-without-token');
    assert.match(refused?.lastError ?? '', /401/);
    assert.equal((await floeRequest('GET', '/metrics', undefined, null)).status, 401);
  });

  test('apiserver_request_total: requests to Pods by verb and code, and their rate', async () => {
    await until('sum(apiserver_request_total{job="floe",resource="pods"})');
    const byCode = await until('sum by (verb, code, scope) (apiserver_request_total{job="floe",resource="pods",group="",version="v1",component="apiserver"})');
    const series = byCode.map((s) => `${s.metric.verb} ${s.metric.code} ${s.metric.scope}`);
    assert.ok(series.includes('LIST 200 namespace'), series.join(', '));
    assert.ok(series.includes('GET 404 resource'), series.join(', '));
    await until('sum(rate(apiserver_request_total{job="floe",resource="pods",verb="LIST"}[10s]))');
    const p99 = await until('histogram_quantile(0.99, sum by (le) (rate(apiserver_request_duration_seconds_bucket{job="floe",verb="LIST",resource="pods"}[10s])))', (v) => Number.isFinite(v) && v > 0);
    assert.ok(Number(p99[0]!.value[1]) <= 60);
  });

  test('the job controller\'s workqueue and reconciles, and the store\'s latency', async () => {
    await until('workqueue_adds_total{job="floe",name="job-controller",controller="job-controller"}');
    await until('controller_runtime_reconcile_total{job="floe",controller="job-controller",result="success"}');
    await until('controller_runtime_max_concurrent_reconciles{job="floe",controller="job-controller"}', (v) => v === 2);
    await until('workqueue_depth{job="floe",name="job-controller"}', (v) => v >= 0);
    await until('sum(etcd_request_duration_seconds_count{job="floe",operation="create",type="jobs.batch"})');
    await until('apiserver_storage_objects{job="floe",resource="jobs.batch"}', (v) => v >= 1);
  });

  test('process and Node.js runtime metrics', async () => {
    await until('process_resident_memory_bytes{job="floe"}');
    await until('rate(process_cpu_seconds_total{job="floe"}[10s])', (v) => v >= 0);
    await until('nodejs_heap_size_used_bytes{job="floe"}');
  });
});
