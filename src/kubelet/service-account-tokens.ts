// The kubelet's token manager: Pod-bound ServiceAccount tokens for projected `serviceAccountToken` volume sources,
// kept on disk and re-requested once a token has lived 80% of its life (as kubelet's token manager does).
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '../api/logger.js';
import { ContainerConfigError } from './container-env.js';
import type { Pod } from './types.js';

/** Asks the API server for a token (TokenRequest) bound to the Pod. */
export type ServiceAccountTokenSource = (request: {
  namespace: string;
  serviceAccountName: string;
  pod: { name: string; uid: string };
  audiences?: string[];
  expirationSeconds: number;
}) => Promise<{ token: string; expirationTimestamp: string }>;

/** The API server's address as Pods reach it, for KUBERNETES_SERVICE_HOST/PORT. */
export type ApiServerAddress = () => { host: string; port: number } | undefined;

interface Held {
  token: string;
  issuedAtMs: number;
  expiresAtMs: number;
  /** Files holding this token, rewritten on refresh while their folder exists. */
  files: Set<string>;
  request: Parameters<ServiceAccountTokenSource>[0];
}

/** kube's kubelet asks for 3607 s by default (the projected volume's expirationSeconds) and at least 10 minutes. */
const minSeconds = 600;

export class ServiceAccountTokenManager {
  private readonly source: ServiceAccountTokenSource;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly held = new Map<string, Held>();
  private timer: NodeJS.Timeout | undefined;

  constructor(options: { source: ServiceAccountTokenSource; logger: Logger; checkEveryMs?: number; now?: () => number }) {
    this.source = options.source;
    this.log = options.logger;
    this.now = options.now ?? Date.now;
    this.timer = setInterval(() => void this.refresh(), options.checkEveryMs ?? 30_000);
    this.timer.unref();
  }

  /** The token for `pod`'s source, fresh when none is held or the held one passed 80% of its life; `file` is kept current. */
  async token(pod: Pod, source: { audience?: string; expirationSeconds?: number }, file: string): Promise<Buffer> {
    const request = {
      namespace: pod.metadata.namespace ?? 'default',
      serviceAccountName: pod.spec.serviceAccountName ?? 'default',
      pod: { name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' },
      ...(source.audience ? { audiences: [source.audience] } : {}),
      expirationSeconds: Math.max(source.expirationSeconds ?? 3607, minSeconds),
    };
    const key = JSON.stringify([request.pod.uid, request.serviceAccountName, request.audiences ?? [], request.expirationSeconds]);
    let held = this.held.get(key);
    if (!held || this.due(held)) {
      let answer: Awaited<ReturnType<ServiceAccountTokenSource>>;
      try {
        answer = await this.source(request);
      } catch (err) {
        // As the kubelet's MountVolume.SetUp: the container waits (CreateContainerConfigError) and is retried.
        throw new ContainerConfigError(`failed to fetch token: ${err instanceof Error ? err.message : String(err)}`);
      }
      held = { token: answer.token, issuedAtMs: this.now(), expiresAtMs: Date.parse(answer.expirationTimestamp), files: held?.files ?? new Set(), request };
      this.held.set(key, held);
    }
    held.files.add(file);
    return Buffer.from(held.token);
  }

  /** Re-requests tokens past 80% of their life and rewrites their files; forgets Pods whose volumes are gone. */
  async refresh(): Promise<void> {
    for (const [key, held] of this.held) {
      for (const f of held.files) if (!existsSync(dirname(f))) held.files.delete(f);
      if (held.files.size === 0) {
        this.held.delete(key);
        continue;
      }
      if (!this.due(held)) continue;
      try {
        const answer = await this.source(held.request);
        held.token = answer.token;
        held.issuedAtMs = this.now();
        held.expiresAtMs = Date.parse(answer.expirationTimestamp);
        for (const f of held.files) writeAtomically(f, answer.token);
      } catch (err) {
        // The Pod or its ServiceAccount is gone (the token is revoked with it): the files keep the old token, which
        // stops working; the worker's cleanup removes them.
        this.log.debug({ err, pod: held.request.pod.name, namespace: held.request.namespace }, 'could not refresh a service account token');
      }
    }
  }

  /**
   * After a restart: the token files of Pods that kept running (`<dataDir>/pods/<uid>/volumes/<volume>/<file>`), read
   * back from the tokens themselves (their claims name the Pod, account, audience and lifetime), so that they keep
   * being refreshed although no container start asks for them again.
   */
  adopt(dataDir: string): number {
    let adopted = 0;
    for (const uid of list(join(dataDir, 'pods'))) {
      const volumes = join(dataDir, 'pods', uid, 'volumes');
      for (const volume of list(volumes)) {
        for (const name of list(join(volumes, volume))) {
          const file = join(volumes, volume, name);
          const claims = tokenClaims(file);
          const k8s = claims?.['kubernetes.io'];
          if (!claims || !k8s?.pod || k8s.pod.uid !== uid || typeof claims.exp !== 'number' || typeof claims.iat !== 'number') continue;
          const request = {
            namespace: k8s.namespace,
            serviceAccountName: k8s.serviceaccount.name,
            pod: k8s.pod,
            ...(claims.aud.length > 0 ? { audiences: claims.aud } : {}),
            expirationSeconds: claims.exp - claims.iat,
          };
          const key = JSON.stringify(['adopted', file]);
          const token = readFileSync(file, 'utf8').trim();
          this.held.set(key, { token, issuedAtMs: claims.iat * 1000, expiresAtMs: claims.exp * 1000, files: new Set([file]), request });
          adopted++;
        }
      }
    }
    return adopted;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.held.clear();
  }

  private due(held: Held): boolean {
    const life = held.expiresAtMs - held.issuedAtMs;
    return this.now() >= held.issuedAtMs + life * 0.8;
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

interface TokenClaims {
  aud: string[];
  exp: number;
  iat: number;
  'kubernetes.io'?: { namespace: string; serviceaccount: { name: string }; pod?: { name: string; uid: string } };
}

/** The claims of a file that holds a ServiceAccount JWT (small, three base64url parts), or undefined. */
function tokenClaims(file: string): TokenClaims | undefined {
  try {
    const st = statSync(file);
    if (!st.isFile() || st.size > 16_384) return undefined;
    const text = readFileSync(file, 'utf8').trim();
    if (!/^eyJ[\w-]*\.eyJ[\w-]*\.[\w-]+$/.test(text)) return undefined;
    const claims = JSON.parse(Buffer.from(text.split('.')[1] ?? '', 'base64url').toString('utf8')) as Partial<TokenClaims> & { aud?: string | string[] };
    const aud = Array.isArray(claims.aud) ? claims.aud : typeof claims.aud === 'string' ? [claims.aud] : [];
    return { ...claims, aud } as TokenClaims;
  } catch {
    return undefined;
  }
}

function writeAtomically(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, path);
}

/** KUBERNETES_SERVICE_HOST and friends, as the kubelet sets them from the `kubernetes` Service for every container. */
export function apiServerEnv(address: { host: string; port: number } | undefined): Record<string, string> {
  if (!address) return {};
  const { host, port } = address;
  const p = String(port);
  return {
    KUBERNETES_SERVICE_HOST: host,
    KUBERNETES_SERVICE_PORT: p,
    KUBERNETES_SERVICE_PORT_HTTPS: p,
    KUBERNETES_PORT: `tcp://${host}:${p}`,
    [`KUBERNETES_PORT_${p}_TCP`]: `tcp://${host}:${p}`,
    [`KUBERNETES_PORT_${p}_TCP_PROTO`]: 'tcp',
    [`KUBERNETES_PORT_${p}_TCP_PORT`]: p,
    [`KUBERNETES_PORT_${p}_TCP_ADDR`]: host,
  };
}
