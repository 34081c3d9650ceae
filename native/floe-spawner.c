/*
 * The kubelet's process spawner: a small long-lived process that starts container runs (their `/bin/sh` wrapper) as
 * forks of itself, so that Floe's large Node process does not fork on every Pod start (a fork copies its page tables:
 * about 4 ms of Floe's event loop for a few hundred MB). Compiled once per machine like the warm executor's client
 * (src/native-build.ts); where it is missing, runs start with Node's own spawn.
 *
 *   floe-spawner            requests on stdin, replies on stdout; exits when stdin closes (its runs go on)
 *
 * Request: a 4-byte big-endian length, then NUL-terminated fields: id, working directory, log file, cgroupc,
 * cgroups ("1:<dir>" or "2:<dir>")..., argc, argv..., envc, env ("NAME=value")... The run starts in its cgroups: in
 * the v2 one from its creation (clone3 with CLONE_INTO_CGROUP), in v1 ones by moving its only thread (`0` into
 * `tasks`). Neither takes the kernel's global lock that a write to cgroup.procs takes, whose RCU grace period (several
 * ms on a busy machine, unless the cgroup root was mounted with favordynmods) every Pod start would otherwise wait
 * for. The run also gets its own session (Node's `detached`), the log file (created 0600 if new, appended to) as
 * stdout and stderr, /dev/null as stdin, default signal dispositions, an empty signal mask, and
 * `execve(argv[0], argv, env)`. Replies, one line each:
 *   S <id> <pid>                   the run started (it has exec'ed)
 *   F <id> <errno>                 it could not start (a cgroup, chdir, open or exec failed); nothing is left running
 *   X <pid> <code|signal> <n>      a run ended: its exit code, or the signal that ended it
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sched.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void write_all(const char *data, size_t len) {
  while (len > 0) {
    ssize_t n = write(1, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      _exit(0); /* Floe is gone: nothing to report to */
    }
    data += n;
    len -= (size_t)n;
  }
}

static void reply(const char *format, long a, long b) {
  char line[96];
  int n = snprintf(line, sizeof line, format, a, b);
  write_all(line, (size_t)n);
}

static void reap(void) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    if (WIFSIGNALED(status)) reply("X %ld signal %ld\n", pid, WTERMSIG(status));
    else if (WIFEXITED(status)) reply("X %ld code %ld\n", pid, WEXITSTATUS(status));
  }
}

/* Splits the payload into its NUL-terminated fields; NULL when it is malformed. */
static char **fields(char *payload, size_t len, size_t *count) {
  if (len == 0 || payload[len - 1] != '\0') return NULL;
  size_t n = 0;
  for (size_t i = 0; i < len; i++) n += payload[i] == '\0';
  char **out = calloc(n + 1, sizeof *out);
  if (!out) return NULL;
  size_t k = 0;
  for (char *p = payload; p < payload + len; p += strlen(p) + 1) out[k++] = p;
  *count = n;
  return out;
}

static void malformed(char **f) {
  free(f);
  fprintf(stderr, "floe-spawner: a malformed request\n");
  _exit(2);
}

/* Writes `text` into `dir`/`file`: 0 or the errno. */
static int write_into(const char *dir, const char *file, const char *text) {
  char path[4096];
  if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path) return ENAMETOOLONG;
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  int err = write(fd, text, strlen(text)) < 0 ? errno : 0;
  close(fd);
  return err;
}

/* stdin from /dev/null, stdout and stderr appended to `log`: 0 or the errno. */
static int redirect(const char *log) {
  int out = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (out < 0) return errno;
  int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (in < 0) return errno;
  if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) return errno;
  return 0;
}

/* fork(), or clone3 into the cgroup `v2` when there is one; *placed says whether the kernel placed it there. */
static pid_t fork_into(int v2, int *placed) {
  *placed = 0;
  if (v2 < 0) return fork();
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = CLONE_INTO_CGROUP;
  args.exit_signal = SIGCHLD;
  args.cgroup = (uint64_t)v2;
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid >= 0) {
    *placed = 1;
    return (pid_t)pid;
  }
  if (errno != ENOSYS && errno != E2BIG && errno != EINVAL) return -1;
  return fork(); /* a kernel before 5.7: the child joins by cgroup.procs */
}

static void start(char *payload, size_t len) {
  size_t count = 0;
  char **f = fields(payload, len, &count);
  if (!f || count < 6) malformed(f);
  long id = strtol(f[0], NULL, 10);
  const char *cwd = f[1];
  const char *log = f[2];
  long cgroupc = strtol(f[3], NULL, 10);
  if (cgroupc < 0 || (size_t)cgroupc + 6 > count) malformed(f);
  char **cgroups = f + 4;
  long argc = strtol(f[4 + cgroupc], NULL, 10);
  if (argc < 1 || (size_t)(cgroupc + argc) + 6 > count) malformed(f);
  char **argv = f + 5 + cgroupc;
  long envc = strtol(argv[argc], NULL, 10);
  if (envc < 0 || (size_t)(cgroupc + argc + envc) + 6 != count) malformed(f);
  char **env = argv + argc + 1;
  argv[argc] = NULL; /* the envc field: argv ends before it; env ends with the NULL calloc left after the fields */

  /* The v2 cgroup, if any, is the new process's from its creation. */
  int v2 = -1;
  for (long i = 0; i < cgroupc; i++) {
    if (strncmp(cgroups[i], "2:", 2) != 0) continue;
    v2 = open(cgroups[i] + 2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (v2 < 0) {
      reply("F %ld %ld\n", id, errno);
      free(f);
      return;
    }
    break;
  }

  int status_pipe[2];
  if (pipe2(status_pipe, O_CLOEXEC) < 0) {
    reply("F %ld %ld\n", id, errno);
    if (v2 >= 0) close(v2);
    free(f);
    return;
  }
  int placed;
  pid_t pid = fork_into(v2, &placed);
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    setsid();
    int err = 0;
    for (long i = 0; i < cgroupc && !err; i++) {
      const char *dir = cgroups[i] + 2;
      if (cgroups[i][0] == '1') err = write_into(dir, "tasks", "0"); /* this, the only thread: no global lock */
      else if (!placed) {
        char self[24];
        snprintf(self, sizeof self, "%d", (int)getpid());
        err = write_into(dir, "cgroup.procs", self);
      }
    }
    if (!err) err = redirect(log);
    if (!err && chdir(cwd) < 0) err = errno;
    if (!err) {
      execve(argv[0], argv, env);
      err = errno;
    }
    ssize_t ignored = write(status_pipe[1], &err, sizeof err);
    (void)ignored;
    _exit(127);
  }
  int err = pid < 0 ? errno : 0;
  if (v2 >= 0) close(v2);
  close(status_pipe[1]);
  if (pid > 0) {
    /* The pipe closes on exec (nothing read) or carries the errno of what failed. */
    ssize_t n;
    do n = read(status_pipe[0], &err, sizeof err);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof err) err = 0;
    if (err) waitpid(pid, NULL, 0);
  }
  close(status_pipe[0]);
  if (err) reply("F %ld %ld\n", id, err);
  else reply("S %ld %ld\n", id, pid);
  free(f);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    perror("floe-spawner: signalfd");
    return 1;
  }
  fcntl(0, F_SETFD, FD_CLOEXEC);
  fcntl(1, F_SETFD, FD_CLOEXEC);
  size_t cap = 1 << 16, have = 0;
  char *buf = malloc(cap);
  if (!buf) return 1;
  write_all("ready\n", 6);
  struct pollfd watch[2] = {{.fd = 0, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
  for (;;) {
    if (poll(watch, 2, -1) < 0) {
      if (errno == EINTR) continue;
      perror("floe-spawner: poll");
      return 1;
    }
    if (watch[1].revents) {
      struct signalfd_siginfo info;
      while (read(sfd, &info, sizeof info) == (ssize_t)sizeof info) {
      }
      reap();
    }
    if (watch[0].revents) {
      if (have == cap) {
        cap *= 2;
        char *grown = realloc(buf, cap);
        if (!grown) return 1;
        buf = grown;
      }
      ssize_t n = read(0, buf + have, cap - have);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return 0; /* Floe closed its end: the runs go on, as Pods outlive Floe */
      have += (size_t)n;
      size_t used = 0;
      while (have - used >= 4) {
        const unsigned char *p = (const unsigned char *)buf + used;
        size_t len = ((size_t)p[0] << 24) | ((size_t)p[1] << 16) | ((size_t)p[2] << 8) | p[3];
        if (have - used - 4 < len) {
          if (len + 4 > cap) {
            char *grown = realloc(buf, len + 4);
            if (!grown) return 1;
            buf = grown;
            cap = len + 4;
          }
          break;
        }
        start(buf + used + 4, len);
        used += 4 + len;
      }
      memmove(buf, buf + used, have - used);
      have -= used;
    }
  }
}
