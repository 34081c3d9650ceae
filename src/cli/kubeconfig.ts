// A kubeconfig read without client-node when it only holds servers, CAs, tokens and client certificates (as Floe's does).
import { readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Cluster } from '@kubernetes/client-node';
import { parse } from 'yaml';
import type { KubeConfigLike } from '../client/kube-http.js';

/** A kubeconfig's current context, ready for KubeHttp; `namespace` is the context's. */
export interface SimpleKubeConfig extends KubeConfigLike {
  namespace: string | undefined;
}

const clusterKeys = new Set(['server', 'certificate-authority', 'certificate-authority-data', 'insecure-skip-tls-verify', 'tls-server-name']);
const userKeys = new Set(['token', 'client-certificate', 'client-certificate-data', 'client-key', 'client-key-data']);

/**
 * Reads `text` when everything its current context uses is understood here; `undefined` otherwise (exec or
 * auth-provider credentials, proxies, impersonation …), and the caller falls back to client-node, which costs
 * most of a second to load: the difference between a CLI that answers at once and one that lags.
 */
export function readSimpleKubeConfig(text: string, path: string): SimpleKubeConfig | undefined {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(doc)) return undefined;
  const current = doc['current-context'];
  if (typeof current !== 'string') return undefined;
  const context = entry(doc.contexts, 'context', current);
  if (!context) return undefined;
  const cluster = typeof context.cluster === 'string' ? entry(doc.clusters, 'cluster', context.cluster) : undefined;
  const user = typeof context.user === 'string' ? entry(doc.users, 'user', context.user) ?? {} : {};
  if (!cluster || typeof cluster.server !== 'string') return undefined;
  if (Object.keys(cluster).some((k) => !clusterKeys.has(k)) || Object.keys(user).some((k) => !userKeys.has(k))) return undefined;
  const base = dirname(path);
  const file = (value: unknown): Buffer | undefined => (typeof value === 'string' && value !== '' ? readFileSync(isAbsolute(value) ? value : resolve(base, value)) : undefined);
  const data = (value: unknown): Buffer | undefined => (typeof value === 'string' && value !== '' ? Buffer.from(value, 'base64') : undefined);
  const server = cluster.server;
  const skipTLSVerify = cluster['insecure-skip-tls-verify'] === true;
  const tlsServerName = typeof cluster['tls-server-name'] === 'string' ? cluster['tls-server-name'] : undefined;
  const view: Cluster = { name: context.cluster as string, server, skipTLSVerify, ...(tlsServerName ? { tlsServerName } : {}) };
  const token = typeof user.token === 'string' ? user.token : undefined;
  return {
    namespace: typeof context.namespace === 'string' && context.namespace !== '' ? context.namespace : undefined,
    getCurrentCluster: () => view,
    applyToHTTPSOptions: (options: RequestOptions): Promise<void> => {
      const ca = data(cluster['certificate-authority-data']) ?? file(cluster['certificate-authority']);
      if (ca) options.ca = ca;
      const cert = data(user['client-certificate-data']) ?? file(user['client-certificate']);
      if (cert) options.cert = cert;
      const key = data(user['client-key-data']) ?? file(user['client-key']);
      if (key) options.key = key;
      if (skipTLSVerify) options.rejectUnauthorized = false;
      if (tlsServerName) options.servername = tlsServerName;
      if (token) options.headers = { ...(options.headers as Record<string, string> | undefined), Authorization: `Bearer ${token}` };
      return Promise.resolve();
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `field` of the list item named `name` (`contexts[].context`, `clusters[].cluster`, `users[].user`). */
function entry(list: unknown, field: string, name: string): Record<string, unknown> | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const item of list as unknown[]) {
    if (isRecord(item) && item.name === name) return isRecord(item[field]) ? item[field] : undefined;
  }
  return undefined;
}
