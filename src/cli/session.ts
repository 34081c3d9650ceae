// Where a client verb finds its Floe: the kubeconfig (flag, $KUBECONFIG, data dir), the namespace, HTTP and discovery.
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeHttp } from '../client/kube-http.js';
import { CliError, unreachableHint } from './cli-error.js';
import { readSimpleKubeConfig } from './kubeconfig.js';
import { ResourceCatalog } from './resources.js';

/** What the environment says, read once at the entry point. */
export interface CliEnvironment {
  /** `$KUBECONFIG`, possibly a list joined with the path delimiter. */
  kubeconfig?: string;
  /** `$FLOE_DATA_DIR`, else `~/.floe`. */
  dataDir: string;
}

/** The flags every client verb takes. */
export interface ConnectionFlags {
  kubeconfig?: string;
  dataDir?: string;
  namespace?: string;
  allNamespaces?: boolean;
}

/** Where output goes, and where `-f -` reads from. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  readStdin: () => Promise<string>;
}

export interface Session {
  http: KubeHttp;
  catalog: ResourceCatalog;
  /** `-n`, else the kubeconfig context's namespace, else `default`. */
  namespace: string;
  /** Whether `-n` was given (apply refuses a manifest naming another namespace then). */
  namespaceExplicit: boolean;
  allNamespaces: boolean;
  kubeconfigPath: string;
  io: Io;
}

/** `--kubeconfig`, else the first existing entry of `$KUBECONFIG`, else `<data dir>/kubeconfig`. */
export function kubeconfigPath(flags: ConnectionFlags, env: CliEnvironment): string {
  if (flags.kubeconfig) return flags.kubeconfig;
  if (flags.dataDir) return join(flags.dataDir, 'kubeconfig');
  const listed = (env.kubeconfig ?? '').split(delimiter).filter(Boolean);
  if (listed.length > 0) return listed.find((p) => existsSync(p)) ?? listed[0]!;
  return join(env.dataDir, 'kubeconfig');
}

/** Async because client-node is loaded on first use: it costs most of a second, which `--help` and `up` need not pay. */
export async function openSession(flags: ConnectionFlags, env: CliEnvironment, io: Io): Promise<Session> {
  const path = kubeconfigPath(flags, env);
  if (!existsSync(path)) {
    throw new CliError(`no kubeconfig at ${path}: ${unreachableHint}`);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the kubeconfig ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  let http: KubeHttp;
  let contextNamespace: string | undefined;
  const simple = readSimpleKubeConfig(text, path);
  if (simple) {
    http = new KubeHttp({ kubeConfig: simple });
    contextNamespace = simple.namespace;
  } else {
    ({ http, contextNamespace } = await viaClientNode(path));
  }
  return {
    http,
    catalog: new ResourceCatalog({ http }),
    namespace: flags.namespace || contextNamespace || 'default',
    namespaceExplicit: Boolean(flags.namespace),
    allNamespaces: flags.allNamespaces === true,
    kubeconfigPath: path,
    io,
  };
}

/** Kubeconfigs with exec or auth-provider credentials, proxies and the like: client-node knows them all. */
async function viaClientNode(path: string): Promise<{ http: KubeHttp; contextNamespace: string | undefined }> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kubeConfig = new KubeConfig();
  try {
    kubeConfig.loadFromFile(path);
  } catch (err) {
    throw new CliError(`cannot read the kubeconfig ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (!kubeConfig.getCurrentCluster()) {
    throw new CliError(`the kubeconfig ${path} has no current context with a cluster: set current-context, or point --kubeconfig at the file \`floe up\` wrote`);
  }
  const contextNamespace = kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace || undefined;
  return { http: new KubeHttp({ kubeConfig: allowPlainHttp(kubeConfig, () => new KubeConfig()) }), contextNamespace };
}

/** client-node refuses an http:// server unless the cluster skips TLS verification, which plain http has none of. */
function allowPlainHttp(source: KubeConfig, empty: () => KubeConfig): KubeConfig {
  const plain = source.clusters.some((c) => c.server.startsWith('http:') && !c.skipTLSVerify);
  if (!plain) return source;
  const copy = empty();
  copy.loadFromOptions({
    clusters: source.clusters.map((c) => (c.server.startsWith('http:') ? { ...c, skipTLSVerify: true } : c)),
    contexts: source.contexts,
    users: source.users,
    currentContext: source.currentContext,
  });
  return copy;
}
