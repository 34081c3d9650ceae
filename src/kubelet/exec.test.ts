// Unit tests for exec.ts's pure parts: which container a request means, /proc/net/tcp addresses, tar's --transform.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FloeError } from '../api/errors.js';
import { chooseContainer, ipv4Host, ipv6Host, tarTransforms } from './exec.js';
import type { Pod } from './types.js';

const pod = (names: string[], init: string[] = []): Pod => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' },
  spec: { containers: names.map((name) => ({ name, image: 'x' })), ...(init.length > 0 ? { initContainers: init.map((name) => ({ name, image: 'x' })) } : {}) },
});

describe('chooseContainer', () => {
  test('the only container by default; a named one, init containers included; kube-apiserver\'s messages otherwise', () => {
    assert.equal(chooseContainer(pod(['a']), undefined).name, 'a');
    assert.equal(chooseContainer(pod(['a', 'b'], ['setup']), 'setup').name, 'setup');
    const refused = (fn: () => unknown, message: string): void => {
      assert.throws(fn, (err: unknown) => err instanceof FloeError && err.reason === 'BadRequest' && err.message === message);
    };
    refused(() => chooseContainer(pod(['a', 'b']), undefined), 'a container name must be specified for pod p, choose one of: [a b]');
    refused(() => chooseContainer(pod(['a']), 'c'), 'container c is not valid for pod p');
  });
});

describe('/proc/net/tcp addresses', () => {
  test('IPv4: one little-endian word; the wildcard is reached at loopback', () => {
    assert.equal(ipv4Host('0100007F'), '127.0.0.1');
    assert.equal(ipv4Host('0500007F'), '127.0.0.5');
    assert.equal(ipv4Host('00000000'), '127.0.0.1');
  });

  test('IPv6: four little-endian words; IPv4-mapped comes back as IPv4; the wildcard is reached at ::1', () => {
    assert.equal(ipv6Host('00000000000000000000000001000000'), '0:0:0:0:0:0:0:1');
    assert.equal(ipv6Host('00000000000000000000000000000000'), '::1');
    assert.equal(ipv6Host('0000000000000000FFFF00000100007F'), '127.0.0.1');
  });
});

describe('tarTransforms (kubectl cp from a host-process Pod)', () => {
  const mounts = [{ volume: 'scratch', mountPath: '/data', hostPath: '/var/floe/pods/u/volumes/scratch.d' }];

  test('only for tar, only for the mounts whose paths were mapped', () => {
    assert.deepEqual(tarTransforms(['cat', '/data/f'], ['cat', '/var/floe/pods/u/volumes/scratch.d/f'], mounts), []);
    assert.deepEqual(tarTransforms(['tar', 'cf', '-', '/etc/hosts'], ['tar', 'cf', '-', '/etc/hosts'], mounts), []);
    assert.deepEqual(tarTransforms(['tar', 'cf', '-', '/data/f'], ['tar', 'cf', '-', '/var/floe/pods/u/volumes/scratch.d/f'], mounts), [
      '--transform=s|^/\\?var/floe/pods/u/volumes/scratch\\.d|data|',
    ]);
  });

  test('GNU tar then names the members by the mount path, as kubectl cp checks', (t) => {
    if (spawnSync('tar', ['--version']).status !== 0) return t.skip('tar is not installed');
    const root = mkdtempSync(join(tmpdir(), 'floe-tar-'));
    try {
      const host = join(root, 'vol.d');
      mkdirSync(join(host, 'sub'), { recursive: true });
      writeFileSync(join(host, 'sub', 'f'), 'x');
      const argv = ['tar', 'cf', '-', '/data/sub'];
      const mapped = ['tar', 'cf', '-', join(host, 'sub')];
      const tar = spawnSync('tar', [...mapped.slice(1), ...tarTransforms(argv, mapped, [{ volume: 'v', mountPath: '/data', hostPath: host }])]);
      const list = spawnSync('tar', ['tf', '-'], { input: tar.stdout, encoding: 'utf8' });
      assert.deepEqual(list.stdout.trim().split('\n').sort(), ['data/sub/', 'data/sub/f']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
