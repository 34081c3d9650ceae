// KServe's payload logger on a real embedded Floe: `spec.predictor.logger` sends each request and/or response as a
// binary-mode CloudEvent (KServe agent's ce-* headers, the payload as the body) to a sink — here a separate Node process
// recording what it receives — for the in-process ONNX runtime and for a Pod runtime; the two events of one inference
// share their id; a sink that is down never fails an inference.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Client } from '../src/client/client.js';
import { InferenceServiceRef, type InferenceService } from '../src/controllers/serving/index.js';
import { startEmbeddedFloe, type EmbeddedFloe } from './helpers/embedded-floe.js';
import { freshNamespace } from './helpers/fixtures.js';
import { waitFor } from './helpers/wait.js';

const irisOnnx = fileURLToPath(new URL('../../examples/serving/iris-onnx', import.meta.url));

/** The sink: records every POST (headers and body, base64) and lists them at GET /events. */
const sinkScript = `
const http = require('node:http');
const events = [];
http.createServer((req, res) => {
  if (req.method === 'GET') { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(events)); return; }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => { events.push({ method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString('base64') }); res.writeHead(202); res.end(); });
}).listen(0, '127.0.0.1', function () { console.log(this.address().port); });
`;

/** A predictor of its own (stdlib only): echoes V1 instances back, on the port Knative's PORT names. */
const echoScript = `
import json, os
from http.server import BaseHTTPRequestHandler, HTTPServer
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b'{}')
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get('content-length', 0))))
        out = json.dumps({'predictions': body.get('instances'), 'pod': os.environ.get('HOSTNAME', '')}).encode()
        self.send_response(200); self.send_header('content-type', 'application/json'); self.send_header('content-length', str(len(out))); self.end_headers(); self.wfile.write(out)
    def log_message(self, *a): pass
HTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()
`;

interface Recorded {
  method: string;
  headers: Record<string, string>;
  body: string;
}

describe('KServe payload logger: CloudEvents to a sink (embedded)', () => {
  let env: EmbeddedFloe;
  let client: Client;
  let sink: ChildProcess;
  let sinkUrl: string;

  before(async () => {
    env = await startEmbeddedFloe('floe-kserve-logger-');
    client = env.floe.client;
    sink = spawn(process.execPath, ['-e', sinkScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<string>((resolve) => sink.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
    sinkUrl = `http://127.0.0.1:${port}/`;
  });

  after(async () => {
    sink?.kill();
    await env.stop();
  });

  const events = async (): Promise<Recorded[]> => (await (await fetch(`${sinkUrl}events`)).json()) as Recorded[];
  const isvc = (ns: string, name: string, predictor: Record<string, unknown>): InferenceService => ({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name, namespace: ns }, spec: { predictor } });
  const ready = (ns: string, name: string, what: string): Promise<InferenceService> =>
    waitFor(async () => {
      const i = await client.get<InferenceService>(InferenceServiceRef, name, ns);
      return i.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? i : undefined;
    }, { what, timeoutMs: 240_000, intervalMs: 200 });

  test('in-process ONNX, mode all: a request and a response event per inference, sharing the id, with KServe\'s headers and the exact bytes', async () => {
    const ns = await freshNamespace(client, 'kserve-logger');
    await client.create(isvc(ns, 'iris', { logger: { url: sinkUrl, mode: 'all', metadataHeaders: ['X-Tenant'] }, model: { modelFormat: { name: 'onnx' }, storageUri: pathToFileURL(irisOnnx).href } }));
    const done = await ready(ns, 'iris', 'the ONNX InferenceService with a logger to be Ready');
    const sent = '{"instances": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}';
    const before = (await events()).length;
    const res = await fetch(`${done.status!.url!}/v1/models/iris:predict`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tenant': 'acme' }, body: sent });
    assert.equal(res.status, 200);
    const received = Buffer.from(await res.arrayBuffer());
    const got = await waitFor(async () => {
      const all = (await events()).slice(before);
      return all.length >= 2 ? all : undefined;
    }, { what: 'the sink to receive the request and the response events', timeoutMs: 30_000 });
    assert.equal(got.length, 2);
    const request = got.find((e) => e.headers['ce-type'] === 'org.kubeflow.serving.inference.request');
    const response = got.find((e) => e.headers['ce-type'] === 'org.kubeflow.serving.inference.response');
    assert.ok(request && response, JSON.stringify(got.map((e) => e.headers['ce-type'])));
    for (const e of [request, response]) {
      assert.equal(e.method, 'POST');
      assert.equal(e.headers['ce-specversion'], '1.0');
      assert.equal(e.headers['ce-inferenceservicename'], 'iris');
      assert.equal(e.headers['ce-namespace'], ns);
      assert.equal(e.headers['ce-component'], 'predictor');
      assert.equal(e.headers['ce-endpoint'], 'default');
      assert.equal(e.headers['ce-source'], 'http://localhost:9081/');
      assert.ok(!Number.isNaN(Date.parse(e.headers['ce-time'] ?? '')), 'ce-time is a timestamp');
      // KServe sends the request's content type on both events.
      assert.equal(e.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(e.headers['ce-metadata'] ?? ''), { 'X-Tenant': ['acme'] });
    }
    assert.match(request.headers['ce-id'] ?? '', /^[0-9a-f-]{36}$/, 'an id of its own when the caller sends none');
    assert.equal(response.headers['ce-id'], request.headers['ce-id'], 'both events share the id');
    assert.ok(Buffer.from(request.body, 'base64').equals(Buffer.from(sent)), 'the request body as sent, byte for byte');
    assert.ok(Buffer.from(response.body, 'base64').equals(received), 'the response body as answered, byte for byte');

    // A caller's ce-id is the events' id; an error answer (404) logs the request only, as KServe's agent does.
    const mark = (await events()).length;
    assert.equal((await fetch(`${done.status!.url!}/v1/models/iris:predict`, { method: 'POST', headers: { 'content-type': 'application/json', 'ce-id': 'call-42' }, body: sent })).status, 200);
    assert.equal((await fetch(`${done.status!.url!}/v1/models/nope:predict`, { method: 'POST', headers: { 'content-type': 'application/json', 'ce-id': 'call-43' }, body: sent })).status, 404);
    const next = await waitFor(async () => {
      const all = (await events()).slice(mark);
      return all.length >= 3 ? all : undefined;
    }, { what: 'three more events', timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 300)); // a fourth (wrong) event would have arrived by now
    const tail = (await events()).slice(mark);
    assert.deepEqual(tail.map((e) => `${e.headers['ce-id']} ${e.headers['ce-type']?.split('.').pop()}`).sort(), ['call-42 request', 'call-42 response', 'call-43 request']);
    assert.equal(next.length, 3);
  });

  test('a Pod runtime, mode response, and a second InferenceService whose sink is down: inference unaffected', async () => {
    const ns = await freshNamespace(client, 'kserve-logger-pod');
    const file = join(env.dataDir, 'echo.py');
    writeFileSync(file, echoScript);
    const container = { name: 'kserve-container', image: 'myrepo/kserve-echo:1.0', command: ['python', file], ports: [{ containerPort: 8080, protocol: 'TCP' }] };
    await client.create(isvc(ns, 'echo', { logger: { url: sinkUrl, mode: 'response' }, containers: [container] }));
    // A port nobody listens on: every delivery fails, and is only counted.
    const dead = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    await client.create(isvc(ns, 'deaf', { logger: { url: `http://127.0.0.1:${dead}/`, mode: 'all' }, containers: [container] }));
    const echo = await ready(ns, 'echo', 'the echo predictor with a response logger to be Ready');
    const deaf = await ready(ns, 'deaf', 'the echo predictor whose sink is down to be Ready');
    const before = (await events()).length;
    const sent = '{"instances":[[1,2],[3,4]]}';
    const res = await fetch(`${echo.status!.url!}/v1/models/echo:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: sent });
    assert.equal(res.status, 200);
    const received = Buffer.from(await res.arrayBuffer());
    const got = await waitFor(async () => {
      const all = (await events()).slice(before);
      return all.length >= 1 ? all : undefined;
    }, { what: 'the response event', timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 300));
    const tail = (await events()).slice(before);
    assert.equal(tail.length, 1, 'mode response: no request event');
    assert.equal(got[0]!.headers['ce-type'], 'org.kubeflow.serving.inference.response');
    assert.equal(got[0]!.headers['ce-inferenceservicename'], 'echo');
    assert.ok(Buffer.from(got[0]!.body, 'base64').equals(received));
    for (let i = 0; i < 5; i++) {
      const answer = await fetch(`${deaf.status!.url!}/v1/models/deaf:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: sent });
      assert.equal(answer.status, 200, 'a dead sink does not fail the inference');
      assert.deepEqual((await answer.json() as { predictions: unknown }).predictions, [[1, 2], [3, 4]]);
    }
    assert.equal((await events()).length, before + 1, 'nothing from the deaf InferenceService reached the live sink');
  });
});
