// What the benchmarks share: flags, percentiles, and one HTTP call over a keep-alive agent.
import { request, type Agent } from 'node:http';

/** `--name N` from the command line, else `fallback`. */
export const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

/** The p-th percentile (0–100) of an ascending array. */
export const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One request with a JSON (or `contentType`) body; the answer's status and text. */
export function httpCall(agent: Agent, url: string | URL, method: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(url, { method, agent, headers: payload ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {} }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}
