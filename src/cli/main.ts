#!/usr/bin/env node
// The `floe` command: `floe up` runs the platform on this machine; apply/get/describe/delete/logs/wait talk to it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { notebookOptionsFromEnv } from '../controllers/notebooks/capability.js';
import { defaultConfig, readTokenFile, validSan, type FloeConfig } from '../server/config.js';
import type { LogLevel } from '../server/logger.js';
import { apply } from './apply.js';
import { CliError, describeFailure, ExitCode, UsageError } from './cli-error.js';
import { deleteObjects, parseCascade } from './delete.js';
import { describe } from './describe.js';
import { get } from './get.js';
import { logs, parseTail } from './logs.js';
import { readManifests } from './manifests.js';
import { parseOutputFormat } from './printers.js';
import { openSession, type CliEnvironment, type ConnectionFlags, type Io, type Session } from './session.js';
import { apiResources, version } from './version.js';
import { parseDuration, parseWaitFor, wait } from './wait.js';

const clientVersion = '0.1.0';
const logLevels: LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

interface UpFlags {
  dataDir?: string;
  host?: string;
  port?: number;
  token?: string;
  tokenFile?: string;
  tlsSan: string[];
  allowedOrigin: string[];
  allowedHost: string[];
  allowPackageUrl: string[];
  keepPods?: boolean;
  multiUser?: boolean;
  hostProcessFallback?: boolean;
  logLevel?: LogLevel;
  tokenAuthFile?: string;
  authProxyHeader?: string;
  authProxyPrefix?: string;
  authProxyAddresses?: string;
  authProxyGroupsHeader?: string;
  encryptionProviderConfig?: string;
  oidcIssuerUrl?: string;
  oidcClientId?: string;
  oidcUsernameClaim?: string;
  oidcUsernamePrefix?: string;
  oidcGroupsClaim?: string;
  oidcGroupsPrefix?: string;
  oidcCaFile?: string;
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number between 0 and 65535');
  return n;
}

/** Options override environment variables, which override defaults. Warnings are for the user, on stderr. */
function configFrom(opts: UpFlags, env: NodeJS.ProcessEnv): { config: FloeConfig; warnings: string[] } {
  const config = defaultConfig();
  const warnings: string[] = [];
  config.dataDir = opts.dataDir ?? env.FLOE_DATA_DIR ?? config.dataDir;
  config.host = opts.host ?? env.FLOE_HOST ?? config.host;
  config.port = opts.port ?? (env.FLOE_PORT ? portNumber(env.FLOE_PORT) : config.port);
  const token = tokenFrom(opts, env, warnings);
  if (token) config.token = token;
  const sans = opts.tlsSan.length > 0 ? opts.tlsSan : (env.FLOE_TLS_SAN ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const bad = sans.filter((s) => !validSan(s));
  if (bad.length > 0) throw new UsageError(`--tls-san must be a DNS name or an IP address, not ${bad.map((b) => JSON.stringify(b)).join(', ')}`);
  config.tlsSans = sans;
  const list = (flag: string[], name: string): string[] => (flag.length > 0 ? flag : (env[name] ?? '').split(',').map((s) => s.trim()).filter(Boolean));
  config.allowedOrigins = list(opts.allowedOrigin, 'FLOE_ALLOWED_ORIGINS');
  const badOrigin = config.allowedOrigins.filter((o) => !/^https?:\/\/[^/\s]+$/.test(o));
  if (badOrigin.length > 0) throw new UsageError(`--allowed-origin must be scheme://host[:port] with no path, not ${badOrigin.map((o) => JSON.stringify(o)).join(', ')}`);
  config.allowedHosts = list(opts.allowedHost, 'FLOE_ALLOWED_HOSTS');
  config.allowPackageUrls = list(opts.allowPackageUrl, 'FLOE_ALLOW_PACKAGE_URLS');
  const badPrefix = config.allowPackageUrls.filter((u) => !/^https?:\/\/[^/\s]+\//.test(u));
  if (badPrefix.length > 0) throw new UsageError(`--allow-package-url must be an http(s) URL prefix ending in a path, such as https://example.org/pipelines/, not ${badPrefix.map((u) => JSON.stringify(u)).join(', ')}`);
  config.keepPods = opts.keepPods ?? env.FLOE_KEEP_PODS === '1';
  config.multiUser = opts.multiUser ?? env.FLOE_MULTI_USER === '1';
  // Upstream's notebook-controller settings keep their names: ENABLE_CULLING, CULL_IDLE_TIME, IDLENESS_CHECK_PERIOD, ADD_FSGROUP.
  config.notebooks = notebookOptionsFromEnv(env);
  // commander makes a --no- flag default to true, so only an explicit --no-host-process-fallback (false) overrides the env.
  config.hostProcessFallback = opts.hostProcessFallback === false ? false : env.FLOE_HOST_PROCESS_FALLBACK !== '0';
  const level = opts.logLevel ?? env.FLOE_LOG_LEVEL ?? config.logLevel;
  if (!(logLevels as string[]).includes(level)) throw new UsageError(`FLOE_LOG_LEVEL must be one of ${logLevels.join(', ')}, not "${level}"`);
  config.logLevel = level as LogLevel;
  const tokenAuthFile = opts.tokenAuthFile ?? env.FLOE_TOKEN_AUTH_FILE;
  if (tokenAuthFile) config.tokenAuthFile = tokenAuthFile;
  const proxyHeader = opts.authProxyHeader ?? env.FLOE_AUTH_PROXY_HEADER;
  const proxyAddresses = (opts.authProxyAddresses ?? env.FLOE_AUTH_PROXY_ADDRESSES ?? '').split(',').map((a) => a.trim()).filter(Boolean);
  if (proxyHeader) {
    // Without addresses anyone could send the header: refuse rather than believe every caller.
    if (proxyAddresses.length === 0) throw new UsageError('--auth-proxy-header needs --auth-proxy-addresses: the proxies\' addresses (CIDRs) whose header Floe believes');
    config.authProxy = { header: proxyHeader, prefix: opts.authProxyPrefix ?? env.FLOE_AUTH_PROXY_PREFIX ?? '', addresses: proxyAddresses };
    const groups = opts.authProxyGroupsHeader ?? env.FLOE_AUTH_PROXY_GROUPS_HEADER;
    if (groups) config.authProxy.groupsHeader = groups;
  } else if (proxyAddresses.length > 0 || opts.authProxyPrefix !== undefined) {
    throw new UsageError('--auth-proxy-addresses and --auth-proxy-prefix need --auth-proxy-header (such as kubeflow-userid)');
  }
  const encryptionConfig = opts.encryptionProviderConfig ?? env.FLOE_ENCRYPTION_PROVIDER_CONFIG;
  if (encryptionConfig) config.encryptionProviderConfig = encryptionConfig;
  if (opts.oidcIssuerUrl || opts.oidcClientId) {
    if (!opts.oidcIssuerUrl || !opts.oidcClientId) throw new UsageError('--oidc-issuer-url and --oidc-client-id go together');
    if (!opts.oidcIssuerUrl.startsWith('https://')) throw new UsageError(`--oidc-issuer-url must be an https URL, not ${opts.oidcIssuerUrl}`);
    config.oidc = {
      issuerUrl: opts.oidcIssuerUrl,
      clientId: opts.oidcClientId,
      ...(opts.oidcUsernameClaim ? { usernameClaim: opts.oidcUsernameClaim } : {}),
      ...(opts.oidcUsernamePrefix !== undefined ? { usernamePrefix: opts.oidcUsernamePrefix } : {}),
      ...(opts.oidcGroupsClaim ? { groupsClaim: opts.oidcGroupsClaim } : {}),
      ...(opts.oidcGroupsPrefix !== undefined ? { groupsPrefix: opts.oidcGroupsPrefix } : {}),
      ...(opts.oidcCaFile ? { caFile: opts.oidcCaFile } : {}),
    };
  }
  return { config, warnings };
}

/**
 * The bearer token: `--token-file`, `--token`, FLOE_TOKEN_FILE, FLOE_TOKEN, first given wins. `--token` works but is
 * visible to every user of the machine in `ps`, so it draws a warning; a file or the environment does not show there.
 */
function tokenFrom(opts: UpFlags, env: NodeJS.ProcessEnv, warnings: string[]): string | undefined {
  if (opts.token !== undefined && opts.tokenFile !== undefined) throw new UsageError('give the token once: --token-file FILE or --token, not both');
  const fromFile = (path: string, source: string): string => {
    let read;
    try {
      read = readTokenFile(path);
    } catch (err) {
      throw new UsageError(`${source}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (read.warning) warnings.push(read.warning);
    return read.token;
  };
  if (opts.tokenFile !== undefined) return fromFile(opts.tokenFile, '--token-file');
  if (opts.token !== undefined) {
    if (!/^[\x21-\x7e]+$/.test(opts.token)) throw new UsageError('--token has spaces or characters an Authorization header cannot carry: use printable ASCII');
    warnings.push('--token is visible to every user of this machine (ps, /proc); use --token-file FILE or FLOE_TOKEN instead');
    return opts.token;
  }
  if (env.FLOE_TOKEN_FILE) {
    if (env.FLOE_TOKEN) throw new UsageError('FLOE_TOKEN_FILE and FLOE_TOKEN are both set: keep one');
    return fromFile(env.FLOE_TOKEN_FILE, 'FLOE_TOKEN_FILE');
  }
  return env.FLOE_TOKEN || undefined;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Asks on the terminal (stderr, so that stdout stays the command's output) and resolves with the line typed. */
async function askOnTerminal(question: string): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    // End of input (Ctrl-D) answers no.
    return await new Promise<string>((resolve) => {
      rl.once('close', () => resolve(''));
      rl.question(question).then(resolve, () => resolve(''));
    });
  } finally {
    rl.close();
  }
}

function standardIo(): Io {
  return {
    out: (text) => { process.stdout.write(text); },
    err: (text) => { process.stderr.write(text); },
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

/** The flags every client verb takes to find its server, plus -n (and -A where it applies). */
function connectionOptions(cmd: Command, scope: { namespace?: boolean; allNamespaces?: boolean } = {}): Command {
  cmd
    .option('--kubeconfig <path>', 'kubeconfig of the Floe to talk to (default $KUBECONFIG, else <data dir>/kubeconfig)')
    .option('--data-dir <dir>', 'data directory of a local `floe up`, whose kubeconfig to use (default ~/.floe, env FLOE_DATA_DIR)');
  if (scope.namespace !== false) cmd.option('-n, --namespace <namespace>', "namespace to work in (default: the kubeconfig context's, else default)");
  if (scope.allNamespaces) cmd.option('-A, --all-namespaces', 'across every namespace');
  return cmd;
}

function buildProgram(env: NodeJS.ProcessEnv, io: Io): Command {
  const cliEnv: CliEnvironment = { dataDir: env.FLOE_DATA_DIR ?? defaultConfig().dataDir };
  if (env.KUBECONFIG) cliEnv.kubeconfig = env.KUBECONFIG;
  const session = (flags: ConnectionFlags): Promise<Session> => openSession(flags, cliEnv, io);
  const finish = (code: ExitCode): void => {
    if (code !== ExitCode.Ok) process.exitCode = code;
  };

  const program = new Command();
  program
    .name('floe')
    .description("Kubeflow's API on one machine")
    .version(clientVersion)
    .exitOverride()
    .showSuggestionAfterError()
    .addHelpText('after', '\nExit codes: 0 success, 1 the request failed (server error, unreachable server, bad manifest), 2 a command typed wrong.');

  program
    .command('up')
    .description('run Floe: the API server, its controllers and the local runtime')
    .option('--data-dir <dir>', 'folder for the database, logs and volumes (default ~/.floe, env FLOE_DATA_DIR)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1, env FLOE_HOST)')
    .option('--port <port>', 'port to listen on, 0 for any free port (default 8443, env FLOE_PORT)', portNumber)
    .option('--token-file <file>', 'file holding the bearer token clients must present; required off loopback (env FLOE_TOKEN_FILE, or the token itself in FLOE_TOKEN)')
    .option('--token <token>', 'the bearer token itself: visible to other users in `ps`, prefer --token-file')
    .option('--tls-san <name>', 'another DNS name or IP address the serving certificate covers (repeatable; env FLOE_TLS_SAN, comma-separated)', collect, [])
    .option('--allowed-origin <origin>', 'a web origin (scheme://host:port) whose pages may call Floe, such as a dashboard served elsewhere (repeatable; env FLOE_ALLOWED_ORIGINS)', collect, [])
    .option('--allowed-host <name>', 'a host name Floe answers to besides its own addresses, localhost and --tls-san names, such as a proxy\'s (repeatable; env FLOE_ALLOWED_HOSTS)', collect, [])
    .option('--allow-package-url <prefix>', 'a URL prefix whose pipeline package_url Floe may fetch; none by default (repeatable; env FLOE_ALLOW_PACKAGE_URLS)', collect, [])
    .option('--keep-pods', "leave Pods' processes running when Floe stops, to be re-adopted on the next start (env FLOE_KEEP_PODS=1)")
    .option('--multi-user', 'Kubeflow Pipelines in multi-user mode: runs, experiments and pipelines belong to profile namespaces and every call is authorized (env FLOE_MULTI_USER=1)')
    .option('--no-host-process-fallback', 'an image Floe can neither find (floe image load) nor pull fails with ErrImagePull instead of running its command on the host (env FLOE_HOST_PROCESS_FALLBACK=0)')
    .option('--token-auth-file <file>', 'users by bearer token, as kube-apiserver\'s: CSV lines token,user,uid,"group1,group2" (env FLOE_TOKEN_AUTH_FILE)')
    .option('--auth-proxy-header <name>', 'behind an auth proxy: the header naming the user, such as kubeflow-userid; believed only from --auth-proxy-addresses (env FLOE_AUTH_PROXY_HEADER)')
    .option('--auth-proxy-prefix <prefix>', 'removed from the front of the header\'s value, such as accounts.google.com: (default none; env FLOE_AUTH_PROXY_PREFIX)')
    .option('--auth-proxy-addresses <cidrs>', 'comma-separated addresses or CIDRs of the proxies whose header is believed, such as 127.0.0.1/32,10.0.0.0/8 (env FLOE_AUTH_PROXY_ADDRESSES)')
    .option('--auth-proxy-groups-header <name>', 'a header with the user\'s comma-separated groups, from the same proxies (env FLOE_AUTH_PROXY_GROUPS_HEADER)')
    .option('--oidc-issuer-url <url>', 'accept OIDC ID tokens from this issuer (https; its discovery document and keys are fetched)')
    .option('--oidc-client-id <id>', 'the audience OIDC ID tokens must carry')
    .option('--oidc-username-claim <claim>', 'the claim naming the user (default sub)')
    .option('--oidc-username-prefix <prefix>', 'put before the user name (default <issuer>#, none for the email claim; - for none)')
    .option('--oidc-groups-claim <claim>', 'the claim with the user\'s groups')
    .option('--oidc-groups-prefix <prefix>', 'put before each group')
    .option('--oidc-ca-file <file>', 'the CA the OIDC issuer is verified with (default: the system\'s)')
    .option('--encryption-provider-config <file>', 'kube-apiserver\'s EncryptionConfiguration for Secrets at rest (default: <data dir>/encryption-config.yaml, generated with an AES-GCM key; env FLOE_ENCRYPTION_PROVIDER_CONFIG)')
    .addOption(new Option('--log-level <level>', 'how much to log (env FLOE_LOG_LEVEL)').choices(logLevels))
    .action(async (opts: UpFlags) => {
      const { config, warnings } = configFrom(opts, env);
      const progress = (line: string): void => {
        if (config.logLevel !== 'silent') io.err(`${line}\n`);
      };
      for (const warning of warnings) progress(`warning: ${warning}`);
      progress(`opening store at ${join(config.dataDir, 'floe.db')}`);
      // Loaded here so that client verbs do not pay for the store, the schemas and the server.
      const { startFloe } = await import('../server/floe.js');
      let floe: Awaited<ReturnType<typeof startFloe>>;
      try {
        floe = await startFloe({ ...config, runPods: true, controllers: true });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const hint = /EADDRINUSE/.test(message) ? ': another process holds that port; pick one with --port (0 for any free port)' : '';
        throw new CliError(`cannot start Floe: ${message}${hint}`, { cause: err });
      }
      progress(`serving on ${floe.url} (kubeconfig ${floe.kubeconfigPath})`);
      io.out(`Floe is serving the Kubernetes API at ${floe.url}\n`);
      io.out(`Point kubectl at it:  export KUBECONFIG=${floe.kubeconfigPath}\n`);
      io.out(`Open the dashboard in a browser:  ${floe.url}/ui/\n`);
      const shutdown = (): void => {
        progress('stopping');
        floe.stop().then(() => process.exit(0), () => process.exit(1));
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });

  program
    .command('kubeconfig')
    .description('print the kubeconfig of the Floe using this data directory')
    .option('--data-dir <dir>', 'folder Floe runs from (default ~/.floe)')
    .action((opts: { dataDir?: string }) => {
      const path = join(opts.dataDir ?? cliEnv.dataDir, 'kubeconfig');
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        throw new CliError(`no kubeconfig at ${path}: start Floe with \`floe up${opts.dataDir ? ` --data-dir ${opts.dataDir}` : ''}\` first`);
      }
      io.out(text);
    });

  connectionOptions(
    program
      .command('apply')
      .description('create or update objects from manifests: files, folders (recursively) or - for stdin')
      .option('-f, --filename <path>', 'a manifest file, a folder of them, or - for stdin (repeatable)', collect, [])
      .option('--dry-run', 'have the server check and default the objects without storing them'),
  ).action(async (opts: ConnectionFlags & { filename: string[]; dryRun?: boolean }) => {
    if (opts.filename.length === 0) throw new UsageError('apply needs -f FILE, -f FOLDER or -f - (stdin)');
    const manifests = await readManifests(opts.filename, io.readStdin);
    finish(await apply(await session(opts), manifests, { dryRun: opts.dryRun === true }));
  });

  connectionOptions(
    program
      .command('get')
      .description('list or show objects: `floe get pods`, `floe get cm,secrets -l app=web`, `floe get widget w1 -o yaml`')
      .argument('<type>', 'kind, plural, singular or short name (comma-separated for several), or TYPE/NAME')
      .argument('[names...]', 'objects to show (default: all)')
      .option('-o, --output <format>', 'wide, json, yaml, name or jsonpath=<template> (default: a table)')
      .option('-l, --selector <selector>', 'label selector, such as app=web,tier!=front')
      .option('--field-selector <selector>', 'field selector, such as status.phase=Running')
      .option('-w, --watch', 'after listing, stream changes until interrupted')
      .option('--output-watch-events', 'with -w, say ADDED/MODIFIED/DELETED for each change')
      .option('--no-headers', 'leave out the table header'),
    { allNamespaces: true },
  ).action(async (type: string, names: string[], opts: ConnectionFlags & { output?: string; selector?: string; fieldSelector?: string; watch?: boolean; outputWatchEvents?: boolean; headers: boolean }) => {
    const output = parseOutputFormat(opts.output);
    finish(await get(await session(opts), [type, ...names], {
      output,
      ...(opts.selector ? { labelSelector: opts.selector } : {}),
      ...(opts.fieldSelector ? { fieldSelector: opts.fieldSelector } : {}),
      watch: opts.watch === true,
      outputWatchEvents: opts.outputWatchEvents === true,
      noHeaders: !opts.headers,
    }));
  });

  connectionOptions(
    program
      .command('describe')
      .description('show objects in detail, with their conditions and events')
      .argument('<type>', 'kind, plural, singular or short name, or TYPE/NAME')
      .argument('[names...]', 'objects to describe (default: all in the namespace)')
      .option('-l, --selector <selector>', 'label selector when no name is given'),
    { allNamespaces: true },
  ).action(async (type: string, names: string[], opts: ConnectionFlags & { selector?: string }) => {
    finish(await describe(await session(opts), [type, ...names], opts.selector ? { labelSelector: opts.selector } : {}));
  });

  connectionOptions(
    program
      .command('delete')
      .description('delete objects by name, from manifests (-f) or by selector (-l)')
      .argument('[args...]', 'TYPE NAME..., TYPE/NAME..., or TYPE with -l/--all')
      .option('-f, --filename <path>', 'delete the objects these manifests name (repeatable; - for stdin)', collect, [])
      .option('-l, --selector <selector>', 'delete the objects of TYPE matching this label selector')
      .option('--all', 'delete every object of TYPE in the namespace')
      .option('--cascade <policy>', 'what happens to dependents: background, foreground or orphan', 'background')
      .option('--wait', 'return only once the objects are gone')
      .option('--timeout <duration>', 'how long --wait waits, such as 60s or 2m', '60s')
      .option('--ignore-not-found', 'treat objects that do not exist as deleted'),
    { allNamespaces: true },
  ).action(async (args: string[], opts: ConnectionFlags & { filename: string[]; selector?: string; all?: boolean; cascade: string; wait?: boolean; timeout: string; ignoreNotFound?: boolean }) => {
    const cascade = parseCascade(opts.cascade);
    const timeoutMs = parseDuration(opts.timeout);
    const manifests = opts.filename.length > 0 ? await readManifests(opts.filename, io.readStdin) : undefined;
    finish(await deleteObjects(await session(opts), args, {
      ...(manifests ? { manifests } : {}),
      ...(opts.selector ? { labelSelector: opts.selector } : {}),
      all: opts.all === true,
      cascade,
      wait: opts.wait === true,
      timeoutMs,
      ignoreNotFound: opts.ignoreNotFound === true,
    }));
  });

  connectionOptions(
    program
      .command('logs')
      .description("print a pod container's output")
      .argument('<pod>', 'the pod (NAME or pod/NAME), or a training job (pytorchjob/NAME, job/NAME)')
      .option('-c, --container <name>', 'the container (default: the only one)')
      .option('--replica <replica>', 'with a training job: the replica, such as worker-1 (default: the master)')
      .option('-f, --follow', 'keep streaming new output')
      .option('-p, --previous', 'the output of the previous, terminated run of the container')
      .option('--tail <lines>', 'only the last N lines (-1 for all)', parseTail)
      .option('--timestamps', 'prefix each line with its time'),
  ).action(async (pod: string, opts: ConnectionFlags & { container?: string; replica?: string; follow?: boolean; previous?: boolean; tail?: number; timestamps?: boolean }) => {
    const write = (chunk: Buffer): Promise<void> => new Promise((resolve) => { process.stdout.write(chunk, () => resolve()); });
    finish(await logs(await session(opts), pod, {
      ...(opts.container ? { container: opts.container } : {}),
      ...(opts.replica ? { replica: opts.replica } : {}),
      follow: opts.follow === true,
      previous: opts.previous === true,
      ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
      timestamps: opts.timestamps === true,
      write,
    }));
  });

  connectionOptions(
    program
      .command('predict')
      .description('send one prediction request to an InferenceService: V1 ({"instances": …}) or V2 ({"inputs": […]})')
      .argument('<inferenceservice>', 'the InferenceService')
      .requiredOption('-f, --filename <file>', 'the JSON request (- for stdin)')
      .option('--model <name>', 'the model name in the path (default: the InferenceService name)'),
  ).action(async (name: string, opts: ConnectionFlags & { filename: string; model?: string }) => {
    const { predict } = await import('./serving.js');
    finish(await predict(await session(opts), name, { file: opts.filename, ...(opts.model ? { model: opts.model } : {}) }));
  });

  connectionOptions(
    program
      .command('trials')
      .description("a Katib experiment's trials, best objective first, and its current best trial")
      .argument('<experiment>', 'the Experiment'),
  ).action(async (experiment: string, opts: ConnectionFlags) => {
    const { trialsTable } = await import('./katib.js');
    finish(await trialsTable(await session(opts), experiment));
  });

  // Secrets at rest: re-encrypt every stored Secret with the first provider of the encryption configuration.
  program.command('secrets').description('Secrets at rest').command('rewrite')
    .description('re-write every Secret (and its watch history) with the first key of the encryption configuration: key rotation, or encrypting Secrets stored in the clear. Floe must be stopped.')
    .option('--data-dir <dir>', 'data directory whose database to rewrite (default ~/.floe, env FLOE_DATA_DIR)')
    .option('--encryption-provider-config <file>', 'the EncryptionConfiguration Floe runs with (default <data dir>/encryption-config.yaml)')
    .action(async (opts: { dataDir?: string; encryptionProviderConfig?: string }) => {
      const { rewriteSecrets } = await import('./secrets.js');
      const result = rewriteSecrets({ dataDir: opts.dataDir ?? cliEnv.dataDir, ...(opts.encryptionProviderConfig ? { configPath: opts.encryptionProviderConfig } : {}) });
      io.out(`rewrote ${result.objects} objects and ${result.changes} watch-history entries with the first provider of ${result.path}\n`);
    });

  // The local image store of a data directory (<data dir>/images), worked on directly: no server needed.
  const image = program.command('image').alias('images').description('container images in the local store: load archives, pull, list, remove, prune');
  const imageCtx = (opts: { dataDir?: string }) => ({ dataDir: opts.dataDir ?? cliEnv.dataDir, io, env });
  const dataDirOption = ['--data-dir <dir>', 'data directory whose image store to use (default ~/.floe, env FLOE_DATA_DIR)'] as const;
  image.command('load').description('load images from a `docker save` archive or an OCI image layout (tar, tar.gz or directory), like `kind load`')
    .argument('<file>', 'the archive').option('--name <image>', 'name for an image the archive does not name (or names only by a tag)').option('-q, --quiet', 'no progress').option(...dataDirOption)
    .action(async (file: string, opts: { name?: string; quiet?: boolean; dataDir?: string }) => finish(await (await import('./images.js')).imageLoad(imageCtx(opts), file, opts)));
  image.command('ls').alias('list').description('list the images in the store').option('-o, --output <format>', 'json').option('-q, --quiet', 'only image IDs').option(...dataDirOption)
    .action(async (opts: { output?: string; quiet?: boolean; dataDir?: string }) => finish(await (await import('./images.js')).imageList(imageCtx(opts), opts)));
  image.command('rm').alias('remove').description('remove images (a name removes that name; an image ID or digest, every name of it) and the layers no image uses')
    .argument('<images...>', 'names, digests or image IDs').option(...dataDirOption)
    .action(async (refs: string[], opts: { dataDir?: string }) => finish(await (await import('./images.js')).imageRemove(imageCtx(opts), refs)));
  image.command('pull').description('pull an image from its registry into the store (credentials from --docker-config or ~/.docker/config.json)')
    .argument('<image>', 'the image, such as busybox:1.36 or registry.example.com/team/app:v3').option('--docker-config <file>', 'a docker config.json with the registry credentials')
    .option('--insecure-registry <host:port>', 'reach this registry over plain HTTP (repeatable; loopback registries always are)', collect, []).option('--platform <os/arch>', 'the platform to pull from a multi-platform image (default: this machine)')
    .option('-q, --quiet', 'no progress').option(...dataDirOption)
    .action(async (ref: string, opts: { dockerConfig?: string; insecureRegistry: string[]; platform?: string; quiet?: boolean; dataDir?: string }) => finish(await (await import('./images.js')).imagePull(imageCtx(opts), ref, opts)));
  image.command('prune').description('remove images: unused for a while, or the least recently used beyond a size, then unreferenced layers')
    .option('--unused-for <duration>', 'images not used for this long, such as 24h').option('--max-size <bytes>', 'keep the unpacked layers under this size, such as 10GB').option('-a, --all', 'every image').option(...dataDirOption)
    .action(async (opts: { unusedFor?: string; maxSize?: string; all?: boolean; dataDir?: string }) => {
      const cli = await import('./images.js');
      finish(await cli.imagePrune(imageCtx(opts), { ...(opts.unusedFor ? { unusedForMs: parseDuration(opts.unusedFor) } : {}), ...(opts.maxSize ? { maxBytes: cli.parseBytes(opts.maxSize) } : {}), all: opts.all === true }));
    });

  // Kubeflow Pipelines, through the KFP REST API v2beta1 of the Floe the kubeconfig points at.
  const pipeline = program.command('pipeline').alias('pipelines').description('Kubeflow Pipelines: upload compiled pipelines, list them, start runs');
  connectionOptions(
    pipeline
      .command('upload')
      .description('upload a compiled pipeline (YAML); a new version when a pipeline of that name exists')
      .argument('<file>', 'the compiled pipeline (kfp.compiler.Compiler().compile(...))')
      .option('--name <name>', "the pipeline's name (default: the name in the file)")
      .option('--description <text>', 'a description')
      .option('--version <name>', 'the new version\'s name when the pipeline exists (default: NAME-vN)'),
    { namespace: false },
  ).action(async (file: string, opts: ConnectionFlags & { name?: string; description?: string; version?: string }) => {
    const { pipelineUpload } = await import('./pipelines.js');
    finish(await pipelineUpload(await session(opts), file, { ...(opts.name ? { name: opts.name } : {}), ...(opts.description ? { description: opts.description } : {}), ...(opts.version ? { version: opts.version } : {}) }));
  });
  connectionOptions(pipeline.command('list').alias('ls').description('list the uploaded pipelines'), { namespace: false }).action(async (opts: ConnectionFlags) => {
    const { pipelineList } = await import('./pipelines.js');
    finish(await pipelineList(await session(opts)));
  });
  connectionOptions(
    pipeline.command('get').description("a pipeline's details, its versions and its inputs").argument('<pipeline>', 'the pipeline: NAME or ID'),
    { namespace: false },
  ).action(async (ref: string, opts: ConnectionFlags) => {
    const { pipelineGet } = await import('./pipelines.js');
    finish(await pipelineGet(await session(opts), ref));
  });
  connectionOptions(
    pipeline
      .command('run')
      .description("start a run of a compiled pipeline file, or of an uploaded pipeline's latest version")
      .argument('<source>', 'a compiled pipeline FILE, or the NAME or ID of an uploaded pipeline')
      .option('-p, --param <key=value>', 'a pipeline parameter; the value is read as JSON when it parses, else as text (repeatable)', collect, [])
      .option('--experiment <name>', 'the experiment to run in, created when missing (default: the Default experiment)')
      .option('--run-name <name>', 'the run\'s name (default: PIPELINE and the time)')
      .option('--no-cache', 'run every task, whatever the cache holds')
      .option('--wait', 'follow the run to its end like `floe run logs --follow`; exit 1 when it fails'),
    { namespace: false },
  ).action(async (source: string, opts: ConnectionFlags & { param: string[]; experiment?: string; runName?: string; cache: boolean; wait?: boolean }) => {
    const { pipelineRun } = await import('./pipelines.js');
    finish(await pipelineRun(await session(opts), source, {
      params: opts.param,
      ...(opts.experiment ? { experiment: opts.experiment } : {}),
      ...(opts.runName ? { runName: opts.runName } : {}),
      noCache: !opts.cache,
      wait: opts.wait === true,
      tty: process.stdout.isTTY,
    }));
  });

  const run = program.command('run').alias('runs').description('Kubeflow Pipelines runs: list, inspect, follow, terminate, retry');
  connectionOptions(
    run.command('list').alias('ls').description('list pipeline runs, newest first').option('--experiment <name>', 'only the runs of this experiment (name or ID)'),
    { namespace: false },
  ).action(async (opts: ConnectionFlags & { experiment?: string }) => {
    const { runList } = await import('./pipelines.js');
    finish(await runList(await session(opts), opts.experiment ? { experiment: opts.experiment } : {}));
  });
  connectionOptions(
    run.command('get').description("a run's state, times, error and task tree").argument('<run>', 'the run ID (or its name)'),
    { namespace: false },
  ).action(async (ref: string, opts: ConnectionFlags) => {
    const { runGet } = await import('./pipelines.js');
    finish(await runGet(await session(opts), ref));
  });
  connectionOptions(
    run
      .command('logs')
      .description("a run's task state changes and each task's output, prefixed by the task name")
      .argument('<run>', 'the run ID (or its name)')
      .option('-f, --follow', 'keep following until the run ends; exit 1 when it fails'),
    { namespace: false },
  ).action(async (ref: string, opts: ConnectionFlags & { follow?: boolean }) => {
    const { runLogs } = await import('./pipelines.js');
    finish(await runLogs(await session(opts), ref, { follow: opts.follow === true, tty: process.stdout.isTTY }));
  });
  connectionOptions(run.command('terminate').description('stop a run: its running Pods are deleted, it ends CANCELED').argument('<run>', 'the run ID (or its name)'), { namespace: false }).action(
    async (ref: string, opts: ConnectionFlags) => {
      const { runTerminate } = await import('./pipelines.js');
      finish(await runTerminate(await session(opts), ref));
    },
  );
  connectionOptions(run.command('retry').description('run the failed and canceled tasks of a FAILED or CANCELED run again').argument('<run>', 'the run ID (or its name)'), { namespace: false }).action(
    async (ref: string, opts: ConnectionFlags) => {
      const { runRetry } = await import('./pipelines.js');
      finish(await runRetry(await session(opts), ref));
    },
  );

  connectionOptions(
    program
      .command('wait')
      .description('wait until objects meet a condition, or are deleted')
      .argument('<objects...>', 'TYPE/NAME..., or TYPE NAME...')
      .requiredOption('--for <what>', 'condition=<type>[=<status>] (status defaults to True), or delete')
      .option('--timeout <duration>', 'give up after this long, such as 30s or 5m', '30s'),
  ).action(async (objects: string[], opts: ConnectionFlags & { for: string; timeout: string }) => {
    const want = parseWaitFor(opts.for);
    const timeoutMs = parseDuration(opts.timeout);
    finish(await wait(await session(opts), objects, { for: want, timeoutMs }));
  });

  connectionOptions(
    program
      .command('version')
      .description("print this client's version and the server's")
      .option('-o, --output <format>', 'json or yaml')
      .option('--client', "only the client's version (no server needed)"),
    { namespace: false },
  ).action(async (opts: ConnectionFlags & { output?: string; client?: boolean }) => {
    const client = { floeVersion: clientVersion, nodeVersion: process.versions.node, platform: `${process.platform}/${process.arch}` };
    finish(await version(() => session(opts), client, { ...(opts.output ? { output: opts.output } : {}), clientOnly: opts.client === true }, io.out));
  });

  program
    .command('install')
    .description("install Floe on a Kubernetes cluster: its CRDs, RBAC and the controller manager (a Deployment)")
    .requiredOption('--kubeconfig <path>', 'kubeconfig of the cluster')
    .option('--image <image>', 'the controller manager image', `ghcr.io/floe-dev/floe:${clientVersion}`)
    .option('--multi-user', "run KFP in its multi-user mode (the controller manager's --multi-user)")
    .option('--dry-run', 'print the manifests as JSON instead of applying them')
    .action(async (opts: { kubeconfig: string; image: string; dryRun?: boolean; multiUser?: boolean }) => {
      const { clusterManifests, install } = await import('./cluster.js');
      const manifests = clusterManifests({ image: opts.image, ...(opts.multiUser ? { multiUser: true } : {}) });
      if (opts.dryRun) {
        io.out(`${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifests }, null, 2)}\n`);
        return;
      }
      const { KubeClient } = await import('../client/kube-client.js');
      await install(KubeClient.fromFile(opts.kubeconfig), manifests, (line) => io.out(`${line}\n`));
    });

  program
    .command('uninstall')
    .description('remove what `floe install` applied: the CRDs too, and with them every training job and experiment (asks first)')
    .requiredOption('--kubeconfig <path>', 'kubeconfig of the cluster')
    .option('-y, --yes', 'do not ask: delete the CRDs and every object of their kinds')
    .action(async (opts: { kubeconfig: string; yes?: boolean }) => {
      const { clusterManifests, confirmUninstall, uninstall, uninstallLosses } = await import('./cluster.js');
      const { KubeClient } = await import('../client/kube-client.js');
      const client = KubeClient.fromFile(opts.kubeconfig);
      const manifests = clusterManifests({ image: 'unused' });
      const confirmed = await confirmUninstall({
        yes: opts.yes === true,
        interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
        ask: askOnTerminal,
        kubeconfig: opts.kubeconfig,
        losses: opts.yes === true ? [] : await uninstallLosses(client, manifests),
      });
      if (!confirmed) {
        io.err('uninstall cancelled: nothing was deleted\n');
        finish(ExitCode.Failed);
        return;
      }
      await uninstall(client, manifests, (line) => io.out(`${line}\n`));
    });

  program
    .command('controllers')
    .description("run Floe's controllers against a Kubernetes API (from outside with --kubeconfig, or in a Pod), leading through a Lease")
    .option('--kubeconfig <path>', 'kubeconfig of the cluster (default: the in-cluster service account)')
    .option('--lease-namespace <namespace>', 'namespace of the floe-controllers Lease', 'floe-system')
    .option('--identity <id>', 'this replica in the Lease (default: host name and a random suffix)')
    .option('--katib-db <path>', "Katib's observation-log database (SQLite; its folder holds the controllers' files, the database is katib.db there)", 'katib.db')
    .option('--katib-listen <host:port>', 'serve the observation-log endpoint (Push trials report there) on this address')
    .option('--katib-report-url <url>', 'the URL Push trials report to (default: from --katib-listen)')
    .option('--multi-user', "KFP's multi-user mode: runs, experiments and pipelines in profile namespaces, each call reviewed by the cluster (env FLOE_MULTI_USER=1)")
    .addOption(new Option('--log-level <level>', 'how much to log').choices(logLevels).default('info'))
    .action(async (opts: { kubeconfig?: string; leaseNamespace: string; identity?: string; logLevel: LogLevel; katibDb: string; katibListen?: string; katibReportUrl?: string; multiUser?: boolean }) => {
      const [{ runControllers }, { KubeClient }, { createLogger }] = await Promise.all([import('./cluster.js'), import('../client/kube-client.js'), import('../server/logger.js')]);
      const client = opts.kubeconfig ? KubeClient.fromFile(opts.kubeconfig) : KubeClient.inCluster();
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      process.once('SIGTERM', () => abort.abort());
      io.err(`running Floe's controllers; the floe-controllers Lease is in namespace ${opts.leaseNamespace}\n`);
      await runControllers({
        client,
        logger: createLogger({ level: opts.logLevel }),
        leaseNamespace: opts.leaseNamespace,
        ...(opts.identity ? { identity: opts.identity } : {}),
        signal: abort.signal,
        katibDb: opts.katibDb,
        ...(opts.katibListen ? { katibListen: opts.katibListen } : {}),
        ...(opts.katibReportUrl ? { katibReportUrl: opts.katibReportUrl } : {}),
        multiUser: opts.multiUser ?? env.FLOE_MULTI_USER === '1',
      });
    });

  connectionOptions(
    program.command('api-resources').description('list the kinds the server serves, with the names `get` and friends accept'),
    { namespace: false },
  ).action(async (opts: ConnectionFlags) => {
    finish(await apiResources(await session(opts), {}));
  });

  return program;
}

async function main(): Promise<void> {
  const io = standardIo();
  // `floe get … | head` closes stdout early: that is the reader's choice, not a failure.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  const program = buildProgram(process.env, io);
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed the problem (or the help or version that was asked for).
      process.exitCode = err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
      return;
    }
    const failure = describeFailure(err);
    io.err(`${failure.text}\n`);
    if (failure.exitCode === ExitCode.Usage) io.err("run 'floe <command> --help' for usage\n");
    process.exitCode = failure.exitCode;
  }
}

void main();
