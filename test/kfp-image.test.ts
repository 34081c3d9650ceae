// The KFP image (test/helpers/kfp-image.ts) on a real Floe: a Pod runs, in a runc container, the exact command the
// kfp SDK compiles for a lightweight component (its `pip install kfp==<version>` found satisfied inside the image,
// then kfp's executor), and the component's executor output is read back from the Pod's log.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultConfig } from '../src/server/config.js';
import { startFloe, type Floe } from '../src/server/floe.js';
import { floeImageLoad } from './helpers/container-image.js';
import { freshNamespace } from './helpers/fixtures.js';
import { ensureKfpImage, kfpImageSkipReason, kfpVenv, type KfpImage } from './helpers/kfp-image.js';
import { killRecordedProcesses, testTiming } from './helpers/kubelet-harness.js';
import { imageSitePackages } from './helpers/python-image.js';
import { waitFor } from './helpers/wait.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const driver = join(root, 'src', 'controllers', 'pipelines', 'testdata', 'kfp_component_command.py');

const skip = kfpImageSkipReason();
if (skip) process.stderr.write(`[kfp-image] skipped: ${skip}\n`);

/** What the kfp SDK compiled for the driver's component. */
interface CompiledExecutor {
  kfpVersion: string;
  image: string;
  command: string[];
  args: string[];
}

interface PodView {
  status?: { phase?: string };
}

interface EventView {
  reason?: string;
  message?: string;
  involvedObject?: { name?: string };
}

const outputFile = '/tmp/kfp_outputs/output_metadata.json';
/** The executor input the KFP driver would hand the component: its parameters and where its outputs go. */
const executorInput = {
  inputs: { parameterValues: { a: 2, b: 3, host_path: kfpVenv } },
  outputs: { parameters: { Output: { outputFile: '/tmp/kfp_outputs/Output' } }, outputFile },
};

describe('a KFP lightweight component in the KFP image (runc, the kfp SDK\'s own command)', { skip }, () => {
  let floe: Floe;
  let dataDir: string;
  let image: KfpImage;

  before(async () => {
    image = ensureKfpImage();
    const size = `${(image.bytes / 1e6).toFixed(1)} MB in ${image.layers.map((l) => `${l.name} ${(l.bytes / 1e6).toFixed(1)} MB`).join(', ')}`;
    process.stderr.write(`[kfp-image] ${image.built ? `built in ${image.buildSeconds?.toFixed(1) ?? '?'} s` : 'from the cache'}: ${image.layout} (${size})\n`);
    dataDir = mkdtempSync(join(tmpdir(), 'floe-kfp-image-'));
    floeImageLoad(dataDir, image.layout);
    // No image table: nothing maps the image to a host environment, so the Pod can only run in a container.
    floe = await startFloe({ ...defaultConfig(), dataDir, port: 0, logLevel: 'silent', runPods: true, controllers: true, images: [], kubeletTiming: testTiming });
  });

  after(async () => {
    await floe?.stop();
    if (dataDir) {
      killRecordedProcesses(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('the compiled command installs nothing, runs the component with the image\'s python and kfp, and writes its output', async () => {
    const compiled = spawnSync(join(kfpVenv, 'bin', 'python'), [driver, image.name], { encoding: 'utf8' });
    assert.equal(compiled.status, 0, compiled.stderr);
    const executor = JSON.parse(compiled.stdout.trim().split('\n').at(-1)!) as CompiledExecutor;
    assert.equal(executor.image, image.name);
    // The SDK's command installs kfp==<its version> before it runs the executor: the image must already satisfy it.
    assert.match(executor.command.join(' '), new RegExp(`pip install .*kfp==${executor.kfpVersion.replace(/\./g, '\\.')}`));
    const args = executor.args.map((a) => (a === '{{$}}' ? JSON.stringify(executorInput) : a));
    assert.ok(!args.some((a) => a.includes('{{$')), `an unresolved placeholder in ${JSON.stringify(executor.args)}`);

    const client = floe.client;
    const ns = await freshNamespace(client, 'kfp-image');
    // The SDK's argv runs as compiled ("$@"); then the executor output, and whether the host's .venvs can be seen.
    const report = `"$@"; code=$?; echo "exit=$code"; echo "output=$(cat ${outputFile})"; if [ -e ${JSON.stringify(kfpVenv)} ]; then echo host-visible; else echo host-hidden; fi; exit $code`;
    await client.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'component', namespace: ns },
      spec: {
        restartPolicy: 'Never',
        containers: [{
          name: 'main',
          image: image.name,
          imagePullPolicy: 'Never',
          command: ['sh', '-c', report, 'sh', ...executor.command, ...args],
          // An index nothing answers on: had pip gone looking for kfp, it would have failed or said so.
          env: [{ name: 'PIP_INDEX_URL', value: 'http://127.0.0.1:9/simple/' }, { name: 'PIP_RETRIES', value: '0' }],
        }],
      },
    } as never);

    const phase = await waitFor(async () => {
      const pod = (await client.get({ apiVersion: 'v1', kind: 'Pod' }, 'component', ns)) as PodView;
      return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed' ? pod.status.phase : undefined;
    }, { what: 'the component Pod to finish', timeoutMs: 180_000, intervalMs: 200 });
    const res = await fetch(`${floe.url}/api/v1/namespaces/${ns}/pods/component/log`);
    const log = await res.text();
    assert.equal(res.status, 200, log);
    process.stderr.write(`[kfp-image] Pod ${phase}; log:\n${log}\n`);
    assert.equal(phase, 'Succeeded', log);
    assert.match(log, /^exit=0$/m, log);
    assert.doesNotMatch(log, /Retrying|Could not fetch|Could not find a version|Downloading|Successfully installed|ensurepip/, log);
    assert.match(log, /^host-hidden$/m, log);

    // The executor output holds the component's return value, which says where it ran.
    const output = JSON.parse(/^output=(.*)$/m.exec(log)?.[1] ?? '{}') as { parameterValues?: { Output?: string } };
    const returned = JSON.parse(output.parameterValues?.Output ?? '{}') as Record<string, unknown>;
    assert.deepEqual(returned, { sum: 5, python: '/usr/bin/python3', kfp: `${imageSitePackages}/kfp`, host_path_visible: false });

    // The Pod ran from the image in a container: the kubelet records this Pulled event only on that path.
    const events = (await client.list({ apiVersion: 'v1', kind: 'Event' }, { namespace: ns })).items as unknown as EventView[];
    assert.ok(events.some((e) => e.reason === 'Pulled' && e.involvedObject?.name === 'component' && e.message === `Container image "${image.name}" already present on machine`), JSON.stringify(events));
  });
});
