// Floe's in-Pod launcher for KFP tasks on a cluster (python/floe_kfp_launcher.py), run as the engine runs it
// (`python3 -c <source> <spec> <component argv…>`) against a real S3-compatible server (moto): it downloads the input
// artifacts, runs the component, uploads the outputs and stores its report; a failing component, a missing input and
// missing credentials fail it with the reason. Its AWS Signature Version 4 is checked against botocore's signer for
// the same requests (moto accepts any signature, so the comparison is what proves the signing).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { s3ServerUnavailable, s3Venv, startS3Server, type S3Server } from './helpers/s3-server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const launcherPath = join(root, 'python', 'floe_kfp_launcher.py');
const launcher = readFileSync(launcherPath, 'utf8');
const unavailable = s3ServerUnavailable();
if (unavailable) process.stderr.write(`[kfp launcher] skipped: ${unavailable}\n`);

interface Launched {
  status: number | null;
  stdout: string;
  stderr: string;
}

describe("Floe's in-Pod KFP launcher against an S3 server", { ...(unavailable ? { skip: unavailable } : {}) }, () => {
  let s3: S3Server;
  let work: string;
  const env = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, KEY_ID: s3.accessKey, KEY_SECRET: s3.secretKey });
  const store = (): Record<string, unknown> => ({ endpoint: s3.endpoint, region: s3.region, pathStyle: true, accessKeyEnv: 'KEY_ID', secretKeyEnv: 'KEY_SECRET' });
  const launch = (spec: Record<string, unknown>, command: string[], extraEnv: NodeJS.ProcessEnv = {}): Launched => {
    // The image's python3 here is the machine's; the launcher needs only the standard library.
    const r = spawnSync('python3', ['-c', launcher, JSON.stringify(spec), ...command], { encoding: 'utf8', env: { ...env(), ...extraEnv } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  before(async () => {
    s3 = await startS3Server();
    await s3.createBucket('artifacts');
    work = mkdtempSync(join(tmpdir(), 'floe-launcher-'));
  });

  after(async () => {
    await s3?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('inputs are downloaded (a file, a folder), the component runs, its outputs are uploaded and reported', async () => {
    await s3.putObject('artifacts', 'run/producer/1/data', 'rows: 3');
    await s3.putObject('artifacts', 'run/producer/1/model/config.json', '{"layers": 2}');
    await s3.putObject('artifacts', 'run/producer/1/model/weights/part 1.bin', 'w1');
    const dir = join(work, 'ok');
    const spec = {
      stores: [store()],
      downloads: [
        { uri: 's3://artifacts/run/producer/1/data', path: `${dir}/s3/artifacts/run/producer/1/data`, store: 0 },
        { uri: 's3://artifacts/run/producer/1/model', path: `${dir}/s3/artifacts/run/producer/1/model`, store: 0 },
      ],
      uploads: [
        { uri: 's3://artifacts/run/consumer/2/summary', path: `${dir}/s3/artifacts/run/consumer/2/summary`, store: 0 },
        { uri: 's3://artifacts/run/consumer/2/bundle', path: `${dir}/s3/artifacts/run/consumer/2/bundle`, store: 0 },
        { uri: 's3://artifacts/run/consumer/2/never', path: `${dir}/s3/artifacts/run/consumer/2/never`, store: 0 },
      ],
      outputFile: `${dir}/kfp_outputs/output_metadata.json`,
      parameters: { count: `${dir}/kfp_outputs/parameters/count` },
      report: { uri: 's3://artifacts/run/consumer/2/executor_output.json', store: 0 },
    };
    const script = [
      `in=${dir}/s3/artifacts/run/producer/1; out=${dir}/s3/artifacts/run/consumer/2`,
      'echo "component sees: $(cat $in/data) | $(cat $in/model/config.json) | $(cat "$in/model/weights/part 1.bin")"',
      'echo "summary of $(cat $in/data)" > $out/summary',
      'mkdir -p $out/bundle/sub && echo a > $out/bundle/a.txt && echo b > $out/bundle/sub/b.txt',
      `printf 3 > ${dir}/kfp_outputs/parameters/count`,
      `printf '{"parameterValues": {"note": "from the executor"}}' > ${dir}/kfp_outputs/output_metadata.json`,
    ].join('; ');
    const r = launch(spec, ['sh', '-c', script]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /component sees: rows: 3 \| \{"layers": 2\} \| w1/, 'the component read the downloaded file and folder');
    assert.equal((await s3.getObject('artifacts', 'run/consumer/2/summary'))?.toString(), 'summary of rows: 3\n');
    assert.deepEqual((await s3.listKeys('artifacts', 'run/consumer/2/bundle/')).sort(), ['run/consumer/2/bundle/a.txt', 'run/consumer/2/bundle/sub/b.txt']);
    assert.deepEqual(await s3.listKeys('artifacts', 'run/consumer/2/never'), [], 'an output the component did not write uploads nothing');
    const report = JSON.parse((await s3.getObject('artifacts', 'run/consumer/2/executor_output.json'))?.toString() ?? '{}') as Record<string, unknown>;
    assert.deepEqual(report, { executorOutput: '{"parameterValues": {"note": "from the executor"}}', parameters: { count: '3' } });
  });

  test("a failing component: its exit code, nothing uploaded, no report", async () => {
    const dir = join(work, 'fails');
    const spec = {
      stores: [store()],
      downloads: [],
      uploads: [{ uri: 's3://artifacts/fails/out', path: `${dir}/out`, store: 0 }],
      outputFile: `${dir}/kfp_outputs/output_metadata.json`,
      parameters: {},
      report: { uri: 's3://artifacts/fails/executor_output.json', store: 0 },
    };
    const r = launch(spec, ['sh', '-c', `echo partial > ${dir}/out; echo broken >&2; exit 3`]);
    assert.equal(r.status, 3);
    assert.match(r.stderr, /broken/);
    assert.deepEqual(await s3.listKeys('artifacts', 'fails/'), []);
  });

  test('a missing input fails before the component runs, naming the object', () => {
    const dir = join(work, 'missing');
    const spec = { stores: [store()], downloads: [{ uri: 's3://artifacts/nowhere/data', path: `${dir}/data`, store: 0 }], uploads: [], outputFile: `${dir}/o.json`, parameters: {} };
    const r = launch(spec, ['sh', '-c', 'echo component ran']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /floe launcher: the input artifact s3:\/\/artifacts\/nowhere\/data is not in the bucket/);
    assert.doesNotMatch(r.stdout, /component ran/);
  });

  test('an object key with .. segments under a folder artifact is not written outside the artifact\'s folder', async () => {
    await s3.putObject('artifacts', 'run/evil/data/part-0', 'fine');
    await s3.putObject('artifacts', 'run/evil/data/../../escaped', 'planted');
    const dir = join(work, 'evil');
    const spec = { stores: [store()], downloads: [{ uri: 's3://artifacts/run/evil/data', path: `${dir}/in/data`, store: 0 }], uploads: [], outputFile: `${dir}/o.json`, parameters: {} };
    const r = launch(spec, ['sh', '-c', 'echo component ran']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /floe launcher: the object run\/evil\/data\/\.\.\/\.\.\/escaped would be written outside /);
    assert.ok(!existsSync(join(dir, 'escaped')) && !existsSync(join(dir, 'in', 'escaped')), 'nothing was written outside');
    assert.doesNotMatch(r.stdout, /component ran/);
    // A sibling folder whose name starts with the artifact's is outside it too.
    await s3.putObject('artifacts', 'run/evil2/data/../data-sibling/planted', 'planted');
    const sibling = launch({ ...spec, downloads: [{ uri: 's3://artifacts/run/evil2/data', path: `${dir}/in2/data`, store: 0 }] }, ['sh', '-c', 'echo component ran']);
    assert.equal(sibling.status, 1, sibling.stderr);
    assert.match(sibling.stderr, /would be written outside/);
    assert.ok(!existsSync(join(dir, 'in2', 'data-sibling')), 'nothing was written beside the artifact');
    // An artifact URI that climbs (an importer's, say) is refused as a whole.
    const climbing = launch({ ...spec, downloads: [{ uri: 's3://artifacts/run/../run/evil/data/part-0', path: `${dir}/s3/artifacts/run/../run/evil/data/part-0`, store: 0 }] }, ['sh', '-c', 'echo component ran']);
    assert.equal(climbing.status, 1, climbing.stderr);
    assert.match(climbing.stderr, /the input artifact s3:\/\/artifacts\/run\/\.\.\/run\/evil\/data\/part-0 has `\.\.` in its key/);
  });

  test('credentials missing from the environment: the launcher says which variables are empty', () => {
    const spec = { stores: [{ ...store(), accessKeyEnv: 'ABSENT_KEY', secretKeyEnv: 'ABSENT_SECRET' }], downloads: [], uploads: [], outputFile: join(work, 'x.json'), parameters: {} };
    const r = launch(spec, ['true']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /floe launcher: no credentials for http:\/\/127\.0\.0\.1:\d+: the environment variables ABSENT_KEY and ABSENT_SECRET are empty/);
  });

  test("the launcher's Signature Version 4 is botocore's for the same requests", () => {
    // botocore signs first; the launcher then signs the same request at the same instant.
    const script = `
import datetime, hashlib, importlib.util, json, sys
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
spec = importlib.util.spec_from_file_location("launcher", sys.argv[1])
launcher = importlib.util.module_from_spec(spec); spec.loader.exec_module(launcher)
cases = [
    ("GET", "http://127.0.0.1:9000/artifacts?list-type=2&prefix=run%2Fa%20b%2F&continuation-token=x%2By%3D", b"", None, "us-east-1"),
    ("PUT", "http://127.0.0.1:9000/artifacts/run/model/part%201.bin", b"weights", None, "us-east-1"),
    ("GET", "https://bucket.s3.eu-west-1.amazonaws.com/k%C3%A9y/%2Bplus", b"", "session-token", "eu-west-1"),
]
out = []
for method, url, body, token, region in cases:
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    req = AWSRequest(method=method, url=url, data=body)
    req.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
    S3SigV4Auth(creds, "s3", region).add_auth(req)
    now = datetime.datetime.strptime(req.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    ours = launcher.sign_v4(method, url, {}, hashlib.sha256(body).hexdigest(), creds.access_key, creds.secret_key, region, now, token)
    out.append({"botocore": req.headers["Authorization"], "floe": ours["authorization"]})
print(json.dumps(out))
`;
    const r = spawnSync(join(s3Venv, 'bin', 'python'), ['-c', script, launcherPath], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const cases = JSON.parse(r.stdout) as { botocore: string; floe: string }[];
    assert.equal(cases.length, 3);
    for (const c of cases) assert.equal(c.floe, c.botocore);
  });
});
