// Fetching a pipeline version's `package_url`: off unless the operator allows URL prefixes, and never past a redirect.

/** Fetches `package_url.pipeline_url` bodies, or refuses with a message naming the setting that allows it. */
export type PackageFetcher = (url: string) => Promise<Buffer>;

/**
 * A fetcher for the allowed URL prefixes (`--allow-package-url`); with none, every URL is refused. Floe fetching any
 * URL it is handed lets a caller make it read internal addresses (server-side request forgery), so it is opt-in.
 */
export function packageFetcher(allowedPrefixes: readonly string[], timeoutMs = 30_000): PackageFetcher {
  return async (raw) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new Error(`"${raw}" is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`only http and https URLs are fetched, not ${url.protocol}`);
    if (allowedPrefixes.length === 0) {
      throw new Error('this Floe does not fetch package URLs: upload the package instead, or start Floe with --allow-package-url <URL prefix>');
    }
    if (!allowedPrefixes.some((prefix) => url.href.startsWith(prefix))) {
      throw new Error(`${url.href} is not under an allowed prefix (--allow-package-url: ${allowedPrefixes.join(', ')})`);
    }
    // A redirect could lead anywhere, past the allow-list: refuse it instead of following.
    const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    if (response.status >= 300 && response.status < 400) throw new Error(`GET ${url.href} answered a redirect (HTTP ${response.status}); give the final URL`);
    if (!response.ok) throw new Error(`GET ${url.href} answered HTTP ${response.status}`);
    return Buffer.from(await response.arrayBuffer());
  };
}
