// Idmapped mounts for Pods in user namespaces: a small C helper, built once with the C compiler, that mounts a folder
// again with its owners seen through the Pod's id mapping (open_tree + mount_setattr(MOUNT_ATTR_IDMAP) + move_mount).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import type { UsernsMapping } from './oci-spec.js';

/**
 * runc 1.1.5 has no idmapped mounts and util-linux 2.38 no `X-mount.idmap`, so Floe does it itself (kernel 5.12+, and
 * 5.19+ for an overlay over an idmapped lower): a child process unshares a user namespace, the helper writes the Pod's
 * mapping (`0 hostID size`) into its uid_map and gid_map and opens its /proc/<pid>/ns/user, then for each SOURCE
 * TARGET pair clones SOURCE's mount (OPEN_TREE_CLONE: a detached bind mount, not recursive), sets MOUNT_ATTR_IDMAP
 * with that namespace (and MOUNT_ATTR_RDONLY after `-r`), and attaches it at TARGET. The child exits once the
 * namespace is opened; the mounts keep it. Raw syscall numbers: the same on every architecture since Linux 5.1.
 */
const source = String.raw`#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#define F_OPEN_TREE_CLONE 1
#define F_MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define F_MOUNT_ATTR_RDONLY 0x00000001
#define F_MOUNT_ATTR_IDMAP 0x00100000

struct f_mount_attr {
  uint64_t attr_set;
  uint64_t attr_clr;
  uint64_t propagation;
  uint64_t userns_fd;
};

static int fail(const char *what, const char *path) {
  fprintf(stderr, "%s%s%s: %s\n", what, path ? " " : "", path ? path : "", strerror(errno));
  return 1;
}

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  int saved = errno;
  close(fd);
  errno = saved;
  return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* usage: floe-idmap HOSTID SIZE [-r] SOURCE TARGET [[-r] SOURCE TARGET]... */
int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s HOSTID SIZE [-r] SOURCE TARGET...\n", argv[0]);
    return 2;
  }
  unsigned long host = strtoul(argv[1], NULL, 10), size = strtoul(argv[2], NULL, 10);
  int sync_pipe[2];
  if (pipe2(sync_pipe, O_CLOEXEC) != 0) return fail("pipe", NULL);
  pid_t child = fork();
  if (child < 0) return fail("fork", NULL);
  if (child == 0) {
    char c;
    close(sync_pipe[1]);
    if (unshare(CLONE_NEWUSER) != 0) _exit(1);
    /* Holds the namespace until the parent has opened it, then exits. */
    if (read(sync_pipe[0], &c, 1) < 0) _exit(1);
    _exit(0);
  }
  close(sync_pipe[0]);
  char path[64], map[96];
  int userns = -1, rc = 0;
  snprintf(map, sizeof map, "0 %lu %lu\n", host, size);
  /* The child unshares asynchronously: wait until its namespace differs from ours. */
  for (int i = 0; i < 5000; i++) {
    char self[64], other[64];
    ssize_t a = readlink("/proc/self/ns/user", self, sizeof self - 1);
    snprintf(path, sizeof path, "/proc/%d/ns/user", (int)child);
    ssize_t b = readlink(path, other, sizeof other - 1);
    if (a > 0 && b > 0 && (a != b || memcmp(self, other, (size_t)a) != 0)) break;
    usleep(1000);
  }
  snprintf(path, sizeof path, "/proc/%d/uid_map", (int)child);
  if (write_file(path, map) != 0) { rc = fail("write", path); goto out; }
  snprintf(path, sizeof path, "/proc/%d/gid_map", (int)child);
  if (write_file(path, map) != 0) { rc = fail("write", path); goto out; }
  snprintf(path, sizeof path, "/proc/%d/ns/user", (int)child);
  userns = open(path, O_RDONLY | O_CLOEXEC);
  if (userns < 0) { rc = fail("open", path); goto out; }
  for (int i = 3; i + 1 < argc; i += 2) {
    int readonly = 0;
    if (strcmp(argv[i], "-r") == 0) { readonly = 1; i++; if (i + 1 >= argc) break; }
    int tree = (int)syscall(SYS_open_tree, AT_FDCWD, argv[i], F_OPEN_TREE_CLONE | O_CLOEXEC);
    if (tree < 0) { rc = fail("open_tree", argv[i]); goto out; }
    struct f_mount_attr attr = { .attr_set = F_MOUNT_ATTR_IDMAP | (readonly ? F_MOUNT_ATTR_RDONLY : 0), .userns_fd = (uint64_t)userns };
    if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) != 0) { rc = fail("mount_setattr MOUNT_ATTR_IDMAP", argv[i]); close(tree); goto out; }
    if (syscall(SYS_move_mount, tree, "", AT_FDCWD, argv[i + 1], F_MOVE_MOUNT_F_EMPTY_PATH) != 0) { rc = fail("move_mount", argv[i + 1]); close(tree); goto out; }
    close(tree);
  }
out:
  if (userns >= 0) close(userns);
  close(sync_pipe[1]);
  waitpid(child, NULL, 0);
  return rc;
}
`;

export type IdmapHelper = { path: string } | { reason: string };

/** Where the helper of this source version lives in `dir` (named by the source's hash: a new version is rebuilt). */
export function idmapHelperPath(dir: string): string {
  return join(dir, `floe-idmap-${createHash('sha256').update(source).digest('hex').slice(0, 16)}`);
}

/**
 * Builds the helper once per source version into `dir` (0700: a program Floe runs as root must not be replaceable by
 * another user) with the C compiler on `PATH`, or says why there is none.
 */
export async function buildIdmapHelper(options: { dir: string; env: Record<string, string | undefined> }): Promise<IdmapHelper> {
  if (process.platform !== 'linux') return { reason: `idmapped mounts are Linux's, not ${process.platform}'s` };
  const path = idmapHelperPath(options.dir);
  const hash = basename(path).slice('floe-idmap-'.length);
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  chmodSync(options.dir, 0o700);
  if (existsSync(path)) return { path };
  const file = join(options.dir, `floe-idmap-${hash}.${process.pid}.c`);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(file, source, { mode: 0o600 });
  try {
    await promisify(execFile)('cc', ['-O2', '-o', tmp, file], { env: options.env, timeout: 60_000 });
    renameSync(tmp, path);
    return { path };
  } catch (err) {
    rmSync(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    return { reason: code === 'ENOENT' ? 'no C compiler (cc) on the PATH to build the idmap helper' : `building the idmap helper failed: ${(err as Error).message.split('\n')[0] ?? ''}` };
  } finally {
    rmSync(file, { force: true });
  }
}

export interface IdmapMount {
  source: string;
  /** An existing folder (or file, for a file source) to mount over. */
  target: string;
  readOnly?: boolean;
}

/**
 * Mounts each source at its target, idmapped through `mapping`: a file owned by host id k (k < size) is seen as owned
 * by hostID + k (container id k), and what the mapped root writes there is stored as id k. Throws the helper's own
 * words (the kernel's errno) when the kernel or the file system refuses.
 */
export async function mountIdmapped(helper: string, mapping: UsernsMapping, mounts: readonly IdmapMount[]): Promise<void> {
  if (mounts.length === 0) return;
  const args = [String(mapping.hostID), String(mapping.size)];
  for (const m of mounts) args.push(...(m.readOnly ? ['-r'] : []), m.source, m.target);
  try {
    await promisify(execFile)(helper, args, { timeout: 30_000 });
  } catch (err) {
    const raw = (err as { stderr?: string | Buffer }).stderr;
    const stderr = (typeof raw === 'string' ? raw : raw?.toString('utf8') ?? '').trim();
    throw new Error(stderr || (err as Error).message);
  }
}
