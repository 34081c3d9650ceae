// Test support: a Python image for KFP lightweight components, built from this machine's files by python-image.ts:
// Debian's python3.11, busybox (sh and the usual tools), every distribution of .venvs/kfp (the kfp SDK with its run
// time dependencies, and pip) and pip's launchers, so that a component's own `pip install kfp==<version>` finds it
// installed and needs no network.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { containerSkipReason } from './container-image.js';
import { ensurePythonImage, pythonImageBuildSkipReason, pythonImageDiskSkipReason, type PythonImage } from './python-image.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
/** The environment the image's packages come from (python/envs/kfp, built by set-up). */
export const kfpVenv = join(root, '.venvs', 'kfp');
const sitePackages = join(kfpVenv, 'lib', 'python3.11', 'site-packages');

export type KfpImage = PythonImage;

/** The image's size on disk: the layer tars. */
const image = { title: 'the KFP image', prefix: 'kfp', bytes: 2e8 };

/** Why the KFP image cannot be built or run here, or false when it can. */
export function kfpImageSkipReason(): string | false {
  const containers = containerSkipReason();
  if (containers) return containers;
  if (!existsSync(join(sitePackages, 'kfp', '__init__.py'))) return `.venvs/kfp is not installed (${sitePackages}): tools/setup.mjs --with-training-envs builds it`;
  return pythonImageBuildSkipReason() || pythonImageDiskSkipReason(image);
}

/**
 * The KFP image's OCI layout, built unless the cache has one for the same inputs: a runtime layer (python3.11 as
 * /usr/bin/python3.11, python3 and python, its libraries, busybox) and a packages layer (everything .venvs/kfp has,
 * with /usr/bin/pip and pip3).
 */
export function ensureKfpImage(options: { name?: string; cacheDir?: string } = {}): KfpImage {
  return ensurePythonImage({
    prefix: image.prefix,
    name: options.name ?? 'floe.test/kfp-python:v1',
    sitePackages,
    distributions: 'all',
    scripts: { pip: 'pip._internal.cli.main:main', pip3: 'pip._internal.cli.main:main' },
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'PYTHONUNBUFFERED=1'], Cmd: ['python3'], WorkingDir: '/' },
    busybox: true,
    pipInstalls: true,
  }, options);
}
