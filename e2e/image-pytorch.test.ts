// A PyTorchJob whose code exists only inside its image, through the real training operator on a real Floe: Master and
// Worker run the image's /app/train.py (Python and torch from the image too) in runc containers, join one gloo
// process group from the operator's MASTER_ADDR/MASTER_PORT/RANK/WORLD_SIZE, and all-reduce.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../src/server/config.js';
import { startFloe, type Floe } from '../src/server/floe.js';
import { floeImageLoad } from '../test/helpers/container-image.js';
import { freshNamespace } from '../test/helpers/fixtures.js';
import { killRecordedProcesses } from '../test/helpers/kubelet-harness.js';
import { ensureTorchImage, imageSitePackages, torchImageSkipReason, torchVenv, type TorchImage } from '../test/helpers/torch-image.js';
import { waitFor } from '../test/helpers/wait.js';

const skip = torchImageSkipReason();
if (skip) process.stderr.write(`[image-pytorch] skipped: ${skip}\n`);

const timing = { heartbeatMs: 1000, pollMs: 50, crashLoopInitialMs: 200, crashLoopMaxMs: 800, resyncMs: 1000, configRetryMs: 200 };
const PyTorchJobRef = { apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob' } as const;

interface PyTorchJobView {
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[]; replicaStatuses?: Record<string, { succeeded?: number; failed?: number }> };
}

interface EventView {
  reason?: string;
  message?: string;
  involvedObject?: { kind?: string; name?: string };
}

describe('a PyTorchJob whose code is only in its image (runc, real training operator)', { skip }, () => {
  let floe: Floe;
  let dataDir: string;
  let image: TorchImage;

  before(async () => {
    image = ensureTorchImage();
    const size = `${(image.bytes / 1e9).toFixed(2)} GB in ${image.layers.map((l) => `${l.name} ${(l.bytes / 1e6).toFixed(1)} MB`).join(', ')}`;
    process.stderr.write(`[image-pytorch] ${image.built ? `built in ${image.buildSeconds?.toFixed(0) ?? '?'} s` : 'from the cache'}: ${image.layout} (${size})\n`);
    dataDir = mkdtempSync(join(tmpdir(), 'floe-image-pytorch-'));
    const loading = Date.now();
    floeImageLoad(dataDir, image.layout);
    process.stderr.write(`[image-pytorch] floe image load: ${((Date.now() - loading) / 1000).toFixed(0)} s\n`);
    floe = await startFloe({ ...defaultConfig(), dataDir, port: 0, logLevel: 'silent', runPods: true, controllers: true, images: [], kubeletTiming: timing });
  });

  after(async () => {
    await floe?.stop();
    if (dataDir) {
      killRecordedProcesses(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  const podLog = async (ns: string, pod: string): Promise<string> => {
    const res = await fetch(`${floe.url}/api/v1/namespaces/${ns}/pods/${pod}/log`);
    const text = await res.text();
    assert.equal(res.status, 200, `GET ${pod}/log: ${text}`);
    return text;
  };

  test('Master and Worker run /app/train.py from the image, all-reduce over gloo, and the job reaches Succeeded', async () => {
    assert.ok(!existsSync('/app/train.py'), '/app/train.py must not exist on the host: the replicas can only find it in the image');
    const client = floe.client;
    const ns = await freshNamespace(client, 'img-torch');
    const replica = {
      replicas: 1,
      restartPolicy: 'Never',
      template: {
        spec: {
          // The host path of the torch environment is passed in, so the script can tell it is not visible.
          containers: [{ name: 'pytorch', image: image.name, imagePullPolicy: 'Never', command: ['python3', '/app/train.py', torchVenv] }],
        },
      },
    };
    const created = Date.now();
    await client.create({
      apiVersion: 'kubeflow.org/v1',
      kind: 'PyTorchJob',
      metadata: { name: 'in-image', namespace: ns },
      spec: { pytorchReplicaSpecs: { Master: replica, Worker: replica } },
    } as never);

    const done = await waitFor(async () => {
      const job = (await client.get(PyTorchJobRef, 'in-image', ns)) as PyTorchJobView;
      return job.status?.conditions?.some((c) => (c.type === 'Succeeded' || c.type === 'Failed') && c.status === 'True') ? job : undefined;
    }, { what: 'the PyTorchJob to finish', timeoutMs: 900_000, intervalMs: 500 });
    const ended = done.status?.conditions?.find((c) => (c.type === 'Succeeded' || c.type === 'Failed') && c.status === 'True');
    process.stderr.write(`[image-pytorch] PyTorchJob created → ${ended?.type ?? '?'}: ${((Date.now() - created) / 1000).toFixed(0)} s\n`);
    assert.equal(ended?.type, 'Succeeded', JSON.stringify(done.status));

    // Rank 0 added 1 and rank 1 added 2: a sum of 3 shows both ranks joined the all-reduce. torch came from the
    // image's site-packages, and the host's torch environment was not visible.
    const master = await podLog(ns, 'in-image-master-0');
    assert.match(master, /^rank 0 of 2: all_reduce sum=3 backend=gloo torch=2\.\S+ from=(\S+) host_path_visible=False$/m, master);
    assert.equal(/from=(\S+)/.exec(master)?.[1], `${imageSitePackages}/torch`);
    // The job succeeds with its master (as upstream); the worker's line comes once its Pod has ended.
    const worker = await waitFor(async () => {
      const text = await podLog(ns, 'in-image-worker-0');
      return /all_reduce sum=/.test(text) ? text : undefined;
    }, { what: "the worker's line", timeoutMs: 120_000, intervalMs: 500 });
    assert.match(worker, /^rank 1 of 2: all_reduce sum=3 backend=gloo .* host_path_visible=False$/m, worker);

    // Both Pods ran from the image in a container: the kubelet records this Pulled event only on that path.
    const events = (await client.list({ apiVersion: 'v1', kind: 'Event' }, { namespace: ns })).items as unknown as EventView[];
    const inContainers = new Set(events.filter((e) => e.reason === 'Pulled' && e.message === `Container image "${image.name}" already present on machine`).map((e) => e.involvedObject?.name));
    assert.deepEqual([...inContainers].sort(), ['in-image-master-0', 'in-image-worker-0']);
  });
});
