// Image references against the cases of the distribution/reference grammar and Docker's normalization.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ImageError } from './errors.js';
import { canonicalName, defaultPullPolicy, familiarName, formatReference, normalizeReference, parseReference, registryHost } from './reference.js';

const sha256 = `sha256:${'f'.repeat(64)}`;
const sha512 = `sha512:${'f'.repeat(128)}`;

describe('parseReference (the strict grammar)', () => {
  const valid: [input: string, domain: string, path: string, tag?: string | undefined, digest?: string | undefined][] = [
    ['test_com', '', 'test_com'],
    ['test.com:tag', '', 'test.com', 'tag'],
    ['test.com:5000', '', 'test.com', '5000'],
    ['test.com/repo:tag', 'test.com', 'repo', 'tag'],
    ['test:5000/repo', 'test:5000', 'repo'],
    ['test:5000/repo:tag', 'test:5000', 'repo', 'tag'],
    [`test:5000/repo@${sha256}`, 'test:5000', 'repo', undefined, sha256],
    [`test:5000/repo:tag@${sha256}`, 'test:5000', 'repo', 'tag', sha256],
    ['lowercase:Uppercase', '', 'lowercase', 'Uppercase'],
    [`${'a/'.repeat(127)}a:tag-puts-this-over-max`, 'a', `${'a/'.repeat(126)}a`, 'tag-puts-this-over-max'],
    ['sub-dom1.foo.com/bar/baz/quux:some-long-tag', 'sub-dom1.foo.com', 'bar/baz/quux', 'some-long-tag'],
    ['b.gcr.io/test.example.com/my-app:test.example.com', 'b.gcr.io', 'test.example.com/my-app', 'test.example.com'],
    ['xn--n3h.com/myimage:xn--n3h.com', 'xn--n3h.com', 'myimage', 'xn--n3h.com'],
    [`xn--7o8h.com/myimage:xn--7o8h.com@${sha512}`, 'xn--7o8h.com', 'myimage', 'xn--7o8h.com', sha512],
    ['foo_bar.com:8080', '', 'foo_bar.com', '8080'],
    ['foo/foo_bar.com:8080', 'foo', 'foo_bar.com', '8080'],
    ['192.168.1.1', '', '192.168.1.1'],
    ['192.168.1.1:5000/repo:5050', '192.168.1.1:5000', 'repo', '5050'],
    ['[2001:db8::1]/repo', '[2001:db8::1]', 'repo'],
    ['[2001:db8:1:2:3:4:5:6]/repo:tag', '[2001:db8:1:2:3:4:5:6]', 'repo', 'tag'],
    [`[2001:db8::1]:5000/repo:tag@${sha256}`, '[2001:db8::1]:5000', 'repo', 'tag', sha256],
    ['[::1]:5000/repo', '[::1]:5000', 'repo'],
    ['localhost:5000/a__b/c---d/e.f', 'localhost:5000', 'a__b/c---d/e.f'],
  ];
  for (const [input, domain, path, tag, digest] of valid) {
    test(`parses ${input.length > 60 ? `${input.slice(0, 57)}...` : input}`, () => {
      const ref = parseReference(input);
      assert.deepEqual(ref, { domain, path, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) });
      assert.equal(formatReference(ref), input);
    });
  }

  const invalid: [input: string, message: RegExp][] = [
    ['', /at least one component/],
    [':justtag', /invalid reference format/],
    [`@${sha256}`, /invalid reference format/],
    [`repo@sha256:${'f'.repeat(34)}`, /invalid checksum digest length/],
    [`validname@invaliddigest:${'f'.repeat(64)}`, /unsupported digest algorithm/],
    [`repo@sha256:${'F'.repeat(64)}`, /lowercase hex/],
    ['Uppercase:tag', /must be lowercase/],
    ['test:5000/Uppercase/lowercase:tag', /must be lowercase/],
    [`${'a/'.repeat(129)}a:tag`, /not be more than 255/],
    ['aa/asdf$$^/aa', /invalid reference format/],
    ['[2001:db8::1]', /invalid reference format/],
    ['[2001:db8::1]:5000', /invalid reference format/],
    ['[2001:db8::1]:tag', /invalid reference format/],
    ['[fe80::1%eth0]:5000/repo', /invalid reference format/],
    ['[fe80::1%@invalidzone]:5000/repo', /invalid reference format/],
    ['repo:-tag', /invalid reference format/],
    [`repo:${'t'.repeat(129)}`, /invalid reference format/],
    ['a@b@c', /invalid reference format/],
  ];
  for (const [input, message] of invalid) {
    test(`rejects ${JSON.stringify(input.length > 60 ? `${input.slice(0, 57)}...` : input)}`, () => {
      assert.throws(() => parseReference(input), (err: unknown) => err instanceof ImageError && err.pullReason === 'InvalidImageName' && message.test(err.message));
    });
  }
});

describe('normalizeReference (docker pull and the kubelet)', () => {
  const cases: [input: string, full: string, familiar: string][] = [
    ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['index.docker.io/library/debian', 'docker.io/library/debian:latest', 'debian:latest'],
    ['index.docker.io/debian', 'docker.io/library/debian:latest', 'debian:latest'],
    ['fooo/bar', 'docker.io/fooo/bar:latest', 'fooo/bar:latest'],
    ['library/foo/bar', 'docker.io/library/foo/bar:latest', 'library/foo/bar:latest'],
    ['127.0.0.1:5000/private/moonbase', '127.0.0.1:5000/private/moonbase:latest', '127.0.0.1:5000/private/moonbase:latest'],
    ['example.com/privatebase:v1', 'example.com/privatebase:v1', 'example.com/privatebase:v1'],
    ['localhost/app', 'localhost/app:latest', 'localhost/app:latest'],
    ['localhost:5000/app:dev', 'localhost:5000/app:dev', 'localhost:5000/app:dev'],
    ['Foo/bar', 'Foo/bar:latest', 'Foo/bar:latest'],
    ['192.168.0.1', 'docker.io/library/192.168.0.1:latest', '192.168.0.1:latest'],
    ['192.168.0.1:80', 'docker.io/library/192.168.0.1:80', '192.168.0.1:80'],
    ['[fc00::1]:5000/docker/docker', '[fc00::1]:5000/docker/docker:latest', '[fc00::1]:5000/docker/docker:latest'],
    [`busybox:latest@${sha256}`, `docker.io/library/busybox:latest@${sha256}`, `busybox:latest@${sha256}`],
    [`redis@${sha256}`, `docker.io/library/redis@${sha256}`, `redis@${sha256}`],
    [`docker.io/${'1a3f5e7d'.repeat(8)}`, `docker.io/library/${'1a3f5e7d'.repeat(8)}:latest`, `${'1a3f5e7d'.repeat(8)}:latest`],
    ['dock__er/docker', 'docker.io/dock__er/docker:latest', 'dock__er/docker:latest'],
  ];
  for (const [input, full, familiar] of cases) {
    test(`${input.length > 50 ? `${input.slice(0, 47)}...` : input} → ${full.length > 50 ? `${full.slice(0, 47)}...` : full}`, () => {
      const ref = normalizeReference(input);
      assert.equal(formatReference(ref), full);
      assert.equal(familiarName(ref), familiar);
    });
  }

  const invalid = [
    'https://github.com/docker/docker', 'docker/Docker', '-docker', '-docker/docker', '-docker.io/docker/docker', 'docker///docker',
    'docker.io/docker/Docker', '[fc00::1]', '[fc00::1]:5000', 'fc00::1:5000/debian', '[2001:db8:3:4::192.0.2.33]:5000/debian',
    '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', 'docker-/docker', '____/____', '_docker/_docker',
    'dock..er/docker', 'dock_.er/docker', 'dock-.er/docker', 'docker/', `${'this_is_not_a_valid_namespace_'.repeat(9)}/docker`,
  ];
  for (const input of invalid) {
    test(`rejects ${input.length > 50 ? `${input.slice(0, 47)}...` : input}`, () => {
      assert.throws(() => normalizeReference(input), ImageError);
    });
  }

  test('a reference with tag and digest is stored under its digest', () => {
    assert.equal(canonicalName(normalizeReference(`busybox:1.36@${sha256}`)), `docker.io/library/busybox@${sha256}`);
    assert.equal(canonicalName(normalizeReference('busybox')), 'docker.io/library/busybox:latest');
  });

  test("Docker Hub's API host", () => {
    assert.equal(registryHost('docker.io'), 'registry-1.docker.io');
    assert.equal(registryHost('localhost:5000'), 'localhost:5000');
  });
});

describe('defaultPullPolicy (Kubernetes core/v1 defaulting)', () => {
  const cases: [string, 'Always' | 'IfNotPresent'][] = [
    ['busybox', 'Always'],
    ['busybox:latest', 'Always'],
    ['busybox:1.36', 'IfNotPresent'],
    [`busybox@${sha256}`, 'IfNotPresent'],
    [`busybox:latest@${sha256}`, 'Always'],
    ['NOT VALID', 'IfNotPresent'],
  ];
  for (const [image, policy] of cases) test(`${image.slice(0, 40)} → ${policy}`, () => assert.equal(defaultPullPolicy(image), policy));
});
