// Test support: a Python + PyTorch OCI image built from this machine's files (Debian's python3.11 with the shared
// libraries ldd finds, its standard library, and the torch distribution with its dependencies from .venvs/torch), with
// a training script at /app/train.py that exists nowhere on the host. Built and cached by python-image.ts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { containerSkipReason } from './container-image.js';
import { ensurePythonImage, pythonImageBuildSkipReason, pythonImageDiskSkipReason, type PythonImage, type PythonImageSpec } from './python-image.js';

export { imageSitePackages } from './python-image.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
/** The environment the image's packages come from (python/envs/torch, built by set-up). */
export const torchVenv = join(root, '.venvs', 'torch');
const sitePackages = join(torchVenv, 'lib', 'python3.11', 'site-packages');

/**
 * The distributions the image holds: torch and what `pip install torch` brings along for it on Linux (less triton and
 * the CUDA libraries torch only loads for GPU work or torch.compile, as python/envs/torch leaves them out), and numpy,
 * which torch uses when it is there.
 */
const distributions = [
  'torch', 'numpy', 'sympy', 'mpmath', 'typing_extensions', 'networkx', 'jinja2', 'markupsafe', 'filelock', 'fsspec',
  'nvidia_cublas_cu12', 'nvidia_cuda_cupti_cu12', 'nvidia_cuda_runtime_cu12', 'nvidia_cudnn_cu12', 'nvidia_cufft_cu12',
  'nvidia_curand_cu12', 'nvidia_cusparse_cu12', 'nvidia_nccl_cu12', 'nvidia_nvjitlink_cu12',
];

/**
 * The image's training script. With torch.distributed over gloo, `init_method='env://'` reads the operator's
 * MASTER_ADDR, MASTER_PORT, RANK and WORLD_SIZE; every rank adds rank+1 into an all-reduce, so the sum printed shows
 * which ranks took part. It also reports where torch was imported from and whether the host path given as its
 * argument is visible (it must not be: the Pod sees only its image).
 */
export const trainScript = `import os, sys
import torch
import torch.distributed as dist

rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
dist.init_process_group("gloo", init_method="env://")
# One step of data-parallel training by hand: each rank's gradient, averaged with an all-reduce.
model = torch.nn.Linear(4, 1)
torch.manual_seed(rank)
x, y = torch.randn(8, 4), torch.randn(8, 1)
torch.nn.functional.mse_loss(model(x), y).backward()
for p in model.parameters():
    dist.all_reduce(p.grad)
    p.grad /= world
contribution = torch.tensor([float(rank + 1)])
dist.all_reduce(contribution)
host_path = sys.argv[1] if len(sys.argv) > 1 else "/nonexistent"
print(f"rank {rank} of {world}: all_reduce sum={contribution.item():g} backend={dist.get_backend()} "
      f"torch={torch.__version__} from={os.path.dirname(torch.__file__)} host_path_visible={os.path.exists(host_path)}", flush=True)
dist.barrier()
dist.destroy_process_group()
`;

export type TorchImage = PythonImage;

/** The image's size on disk: the layer tars (measured: 4.4 GB, nearly all of it torch's CUDA libraries). */
const image = { title: 'the PyTorch image', prefix: 'pytorch', bytes: 4.5e9 };

/**
 * Why the image's disk cannot be had here, or false: the layout (unless cached) and its copy unpacked in the test's
 * Floe take the image's size each, with 3 GB left over for the rest of the suite running beside it.
 */
export function torchImageDiskSkipReason(): string | false {
  return pythonImageDiskSkipReason(image);
}

/** Why the PyTorch image cannot be built or run here, or false when it can. */
export function torchImageSkipReason(): string | false {
  const containers = containerSkipReason();
  if (containers) return containers;
  if (!existsSync(join(sitePackages, 'torch', '__init__.py'))) return `.venvs/torch is not installed (${sitePackages}): tools/setup.mjs --with-training-envs builds it`;
  return torchImageDiskSkipReason() || pythonImageBuildSkipReason();
}

/**
 * The PyTorch image's OCI layout, built unless the cache has one for the same inputs: three uncompressed layers
 * (runtime: python3.11 and its libraries; packages: torch and its dependencies; app: /app/train.py).
 */
export function ensureTorchImage(options: { name?: string; cacheDir?: string } = {}): TorchImage {
  const spec: PythonImageSpec = {
    prefix: image.prefix,
    name: options.name ?? 'floe.test/pytorch-train:v1',
    sitePackages,
    distributions,
    appFiles: { 'app/train.py': trainScript },
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'PYTHONUNBUFFERED=1'], Cmd: ['python3', '/app/train.py'], WorkingDir: '/app' },
  };
  return ensurePythonImage(spec, options);
}
