// Trusted-header mode for running behind an auth proxy (Kubeflow's oauth2-proxy / Istio puts the user in
// `kubeflow-userid`): the header names the user only on connections from the configured proxy addresses.
import { BlockList, isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { UserInfo } from '../../server/auth.js';
import { authenticatedUser } from './user.js';

export interface RequestHeaderOptions {
  /** The header carrying the user name, such as `kubeflow-userid`. */
  header: string;
  /** Removed from the front of the value when present (Kubeflow's `accounts.google.com:`); '' for none. */
  prefix: string;
  /** CIDRs (or single addresses) of the proxies whose header is believed. */
  addresses: string[];
  /** An optional header with comma-separated groups (`kubeflow-groups`). */
  groupsHeader?: string;
}

/** Parses `10.0.0.0/8,127.0.0.1/32,::1` into a block list; throws naming the bad entry. */
export function addressList(addresses: string[]): BlockList {
  const list = new BlockList();
  for (const raw of addresses) {
    const entry = raw.trim();
    if (!entry) continue;
    const [address, bits] = entry.split('/') as [string, string | undefined];
    const family = isIP(address);
    if (family === 0) throw new Error(`--auth-proxy-addresses: "${entry}" is not an IP address or CIDR`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) {
      list.addAddress(address, type);
      continue;
    }
    const prefix = Number(bits);
    if (!/^\d+$/.test(bits) || prefix > (family === 6 ? 128 : 32)) throw new Error(`--auth-proxy-addresses: "${entry}" has a bad prefix length`);
    list.addSubnet(address, prefix, type);
  }
  return list;
}

export class RequestHeaderAuthenticator {
  private readonly header: string;
  private readonly prefix: string;
  private readonly groupsHeader: string | undefined;
  private readonly trusted: BlockList;

  constructor(options: RequestHeaderOptions) {
    this.header = options.header.toLowerCase();
    this.prefix = options.prefix;
    this.groupsHeader = options.groupsHeader?.toLowerCase();
    this.trusted = addressList(options.addresses);
  }

  /** Whether the connection comes from a configured proxy. */
  fromProxy(request: IncomingMessage): boolean {
    const remote = request.socket.remoteAddress;
    if (!remote) return false;
    // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote);
    if (mapped?.[1]) return this.trusted.check(mapped[1], 'ipv4') || this.trusted.check(remote, 'ipv6');
    return this.trusted.check(remote, isIP(remote) === 6 ? 'ipv6' : 'ipv4');
  }

  /**
   * The user the proxy vouches for; undefined when the header is absent or the connection is not from a proxy (the
   * header is then ignored, as anyone may send it).
   */
  authenticate(request: IncomingMessage): UserInfo | undefined {
    const raw = request.headers[this.header];
    const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
    if (!value || !this.fromProxy(request)) return undefined;
    const name = this.prefix && value.startsWith(this.prefix) ? value.slice(this.prefix.length) : value;
    if (!name) return undefined;
    const groupsRaw = this.groupsHeader ? request.headers[this.groupsHeader] : undefined;
    const groups = (Array.isArray(groupsRaw) ? groupsRaw.join(',') : groupsRaw ?? '').split(',').map((g) => g.trim()).filter(Boolean);
    return authenticatedUser({ name, groups });
  }
}
