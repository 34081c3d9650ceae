// Pod listeners on loopback only: a bind() shim, preloaded into every container, that turns a wildcard address into loopback.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Processes share the host's network, so a server that listens on 0.0.0.0 (or `::`) — uvicorn in the kserve SDK,
 * Node's default, gRPC, torch's TCPStore — would answer other machines on every host port Floe gives it, around the
 * token Floe's own API asks for. Without network namespaces Floe cannot stop a process that insists; what it can do is
 * interpose `bind()` (LD_PRELOAD) in the dynamically linked programs it starts: a wildcard address with a fixed port
 * becomes 127.0.0.1 (IPv4), or for IPv6 the IPv4-mapped 127.0.0.1 of a dual-stack socket (`::1` when the socket is
 * IPv6-only). Port 0 (an ephemeral port, often a client's bind before connect) and explicit addresses are left alone.
 * Statically linked programs (Go) and raw syscalls are not covered; a Pod that sets LD_PRELOAD itself replaces the shim.
 */
const source = String.raw`#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
  static bind_fn next;
  if (!next) next = (bind_fn)dlsym(RTLD_NEXT, "bind");
  if (addr && addr->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
    struct sockaddr_in in;
    memcpy(&in, addr, sizeof in);
    if (in.sin_addr.s_addr == htonl(INADDR_ANY) && in.sin_port != 0) {
      in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      return next(fd, (const struct sockaddr *)&in, sizeof in);
    }
  } else if (addr && addr->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
    struct sockaddr_in6 in6;
    memcpy(&in6, addr, sizeof in6);
    if (IN6_IS_ADDR_UNSPECIFIED(&in6.sin6_addr) && in6.sin6_port != 0) {
      int v6only = 0;
      socklen_t optlen = sizeof v6only;
      if (getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &optlen) != 0) v6only = 0;
      if (v6only) {
        in6.sin6_addr = in6addr_loopback;
      } else {
        memset(&in6.sin6_addr, 0, sizeof in6.sin6_addr);
        in6.sin6_addr.s6_addr[10] = 0xff;
        in6.sin6_addr.s6_addr[11] = 0xff;
        in6.sin6_addr.s6_addr[12] = 127;
        in6.sin6_addr.s6_addr[15] = 1;
      }
      return next(fd, (const struct sockaddr *)&in6, sizeof in6);
    }
  }
  return next(fd, addr, len);
}
`;

export type LoopbackShim = { path: string } | { reason: string };

/**
 * Builds the shim once per source version into `dir` (0700: a library every Pod loads must not be replaceable by
 * another user) with the C compiler on `PATH`, or says why there is none.
 */
export async function buildLoopbackShim(options: { dir: string; env: Record<string, string | undefined> }): Promise<LoopbackShim> {
  if (process.platform !== 'linux') return { reason: `LD_PRELOAD interposition is only done on Linux, not ${process.platform}` };
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const path = join(options.dir, `floe-loopback-${hash}.so`);
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  chmodSync(options.dir, 0o700);
  if (existsSync(path)) return { path };
  const file = join(options.dir, `floe-loopback-${hash}.c`);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(file, source, { mode: 0o600 });
  try {
    await promisify(execFile)('cc', ['-shared', '-fPIC', '-O2', '-o', tmp, file, '-ldl'], { env: options.env, timeout: 60_000 });
    renameSync(tmp, path);
    return { path };
  } catch (err) {
    rmSync(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    return { reason: code === 'ENOENT' ? 'no C compiler (cc) on the PATH to build it' : `building it failed: ${(err as Error).message.split('\n')[0] ?? ''}` };
  } finally {
    rmSync(file, { force: true });
  }
}
