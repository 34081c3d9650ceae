// /readyz and /healthz answers from named checks, worded as kube-apiserver words them.
import type { WriteHealth } from '../store/store.js';

export interface HealthCheck {
  /** Shown in the verbose answer: `[+]store ok`, `[-]store failed: …`. */
  name: string;
  check: () => WriteHealth;
}

export interface HealthAnswer {
  status: 200 | 500;
  body: string;
}

/**
 * Runs every check. All passing: 200 `ok` (each check listed with `?verbose`). Any failing: 500 listing every check
 * with the failures' reasons, as kube-apiserver answers `/readyz` when etcd is unhealthy.
 */
export function healthAnswer(endpoint: 'readyz' | 'healthz' | 'livez', checks: readonly HealthCheck[], verbose = false): HealthAnswer {
  const results = checks.map((c) => {
    let health: WriteHealth;
    try {
      health = c.check();
    } catch (err) {
      health = { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
    return { name: c.name, health };
  });
  const failed = results.some((r) => !r.health.ok);
  if (!failed && !verbose) return { status: 200, body: 'ok' };
  const lines = results.map((r) => (r.health.ok ? `[+]${r.name} ok` : `[-]${r.name} failed: ${r.health.reason}`));
  lines.push(`${endpoint} check ${failed ? 'failed' : 'passed'}`);
  return { status: failed ? 500 : 200, body: `${lines.join('\n')}\n` };
}
