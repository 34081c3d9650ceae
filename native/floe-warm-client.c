/*
 * The warm executor's client (issue 23), in C: what a lightweight-component task Pod runs instead of its command.
 * It speaks exactly the protocol of `floe_warm_executor.py client` (the Python client, kept as the fallback where no
 * C compiler is found), without an interpreter's start on every step:
 *
 *   floe-warm-client <socket> <offset> <argv...>
 *
 * argv is the Pod's own command (what runs when the worker cannot take the task), argv[offset:] the component's.
 * Request: a 4-byte big-endian length, then {"argv": [...], "env": {...}, "cwd": "...", "umask": N}, with this
 * process's stdin, stdout and stderr passed along (SCM_RIGHTS). Strings are sent as Python's os.environ would hold
 * them: valid UTF-8 as is, any other byte as the surrogate escape \udcXX. Replies, one JSON object a line:
 * {"pid": N} (the worker forked the task) or {"fallback": "..."} (exec argv instead); then {"code": N} or
 * {"signal": N}, which this process repeats as its own exit. SIGTERM, SIGINT, SIGHUP and SIGQUIT go to the task.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

static char **fallback_argv;
static volatile pid_t task_pid;

static void fallback(void) {
  execvp(fallback_argv[0], fallback_argv);
  fprintf(stderr, "floe warm executor: cannot run %s: %s\n", fallback_argv[0], strerror(errno));
  _exit(127);
}

/* A growable buffer for the request. */
struct buf {
  char *data;
  size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n) cap *= 2;
    char *grown = realloc(b->data, cap);
    if (!grown) fallback();
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when it is not one. */
static size_t utf8_sequence(const unsigned char *s, size_t n) {
  size_t len;
  uint32_t cp;
  if (s[0] >= 0xc2 && s[0] <= 0xdf) len = 2, cp = s[0] & 0x1f;
  else if (s[0] >= 0xe0 && s[0] <= 0xef) len = 3, cp = s[0] & 0x0f;
  else if (s[0] >= 0xf0 && s[0] <= 0xf4) len = 4, cp = s[0] & 0x07;
  else return 0;
  if (n < len) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) return 0;
  if (cp >= 0xd800 && cp <= 0xdfff) return 0; /* surrogates are not valid UTF-8; Python escapes each byte */
  return len;
}

/* A JSON string holding what Python's os.fsdecode gives for these bytes (UTF-8 with surrogateescape). */
static void quote(struct buf *b, const char *text, size_t n) {
  const unsigned char *s = (const unsigned char *)text;
  char esc[8];
  put(b, "\"", 1);
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    if (c == '"' || c == '\\') {
      esc[0] = '\\', esc[1] = (char)c;
      put(b, esc, 2), i++;
    } else if (c < 0x20 || c == 0x7f) {
      snprintf(esc, sizeof esc, "\\u%04x", c);
      put(b, esc, 6), i++;
    } else if (c < 0x80) {
      put(b, (const char *)&s[i], 1), i++;
    } else {
      size_t len = utf8_sequence(&s[i], n - i);
      if (len) {
        put(b, (const char *)&s[i], len), i += len;
      } else {
        snprintf(esc, sizeof esc, "\\udc%02x", c);
        put(b, esc, 6), i++;
      }
    }
  }
  put(b, "\"", 1);
}

/* One reply line from the worker into line (NUL-terminated); 0 when the connection ended first. */
static int reply(int fd, char *line, size_t size) {
  static char pending[4096];
  static size_t have;
  for (;;) {
    char *nl = memchr(pending, '\n', have);
    if (nl) {
      size_t n = (size_t)(nl - pending);
      if (n >= size) n = size - 1;
      memcpy(line, pending, n);
      line[n] = 0;
      have -= (size_t)(nl - pending) + 1;
      memmove(pending, nl + 1, have);
      return 1;
    }
    if (have == sizeof pending) have = 0; /* a line longer than any the worker writes: drop it */
    ssize_t got = read(fd, pending + have, sizeof pending - have);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return 0;
    have += (size_t)got;
  }
}

/* The key and the integer value of a one-key object such as {"pid": 12}; the value is 0 when it is not a number. */
static const char *answer(char *line, long *value) {
  char *key = strchr(line, '"');
  if (!key) return "";
  key++;
  char *end = strchr(key, '"');
  if (!end) return "";
  *end = 0;
  char *colon = strchr(end + 1, ':');
  *value = colon ? strtol(colon + 1, NULL, 10) : 0;
  return key;
}

static void forward(int sig) {
  if (task_pid > 0) kill(task_pid, sig);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: floe-warm-client <socket> <offset> <argv...>\n");
    return 2;
  }
  fallback_argv = argv + 3;
  int count = argc - 3;
  long offset = strtol(argv[2], NULL, 10);
  if (offset < 0 || offset > count) fallback();

  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (fd < 0 || strlen(argv[1]) >= sizeof addr.sun_path) fallback();
  strcpy(addr.sun_path, argv[1]);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    close(fd);
    fallback();
  }

  mode_t mask = umask(0);
  umask(mask);
  char cwd[8192];
  if (!getcwd(cwd, sizeof cwd)) fallback();

  struct buf b = {0};
  put(&b, "\0\0\0\0", 4);
  puts_(&b, "{\"argv\": [");
  for (int i = (int)offset; i < count; i++) {
    if (i > (int)offset) puts_(&b, ", ");
    quote(&b, fallback_argv[i], strlen(fallback_argv[i]));
  }
  puts_(&b, "], \"env\": {");
  int first = 1;
  for (char **e = environ; *e; e++) {
    const char *eq = strchr(*e, '=');
    if (!eq || eq == *e) continue; /* os.environ skips entries without a name */
    if (!first) puts_(&b, ", ");
    first = 0;
    quote(&b, *e, (size_t)(eq - *e));
    puts_(&b, ": ");
    quote(&b, eq + 1, strlen(eq + 1));
  }
  puts_(&b, "}, \"cwd\": ");
  quote(&b, cwd, strlen(cwd));
  char tail[32];
  snprintf(tail, sizeof tail, ", \"umask\": %u}", (unsigned)mask);
  puts_(&b, tail);
  uint32_t length = (uint32_t)(b.len - 4);
  b.data[0] = (char)(length >> 24), b.data[1] = (char)(length >> 16), b.data[2] = (char)(length >> 8), b.data[3] = (char)length;

  /* The first bytes carry the three stdio descriptors; the rest follows as plain writes. */
  int fds[3] = {0, 1, 2};
  char control[CMSG_SPACE(sizeof fds)];
  memset(control, 0, sizeof control);
  struct iovec iov = {.iov_base = b.data, .iov_len = b.len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof fds);
  memcpy(CMSG_DATA(cmsg), fds, sizeof fds);
  ssize_t sent;
  do sent = sendmsg(fd, &msg, MSG_NOSIGNAL);
  while (sent < 0 && errno == EINTR);
  size_t done = sent > 0 ? (size_t)sent : 0;
  while (sent >= 0 && done < b.len) {
    ssize_t more = send(fd, b.data + done, b.len - done, MSG_NOSIGNAL);
    if (more < 0 && errno == EINTR) continue;
    if (more <= 0) break;
    done += (size_t)more;
  }
  free(b.data);

  char line[4096];
  long value = 0;
  if (done < b.len || !reply(fd, line, sizeof line) || strcmp(answer(line, &value), "pid") != 0 || value <= 0) {
    close(fd);
    fallback();
  }
  task_pid = (pid_t)value;

  struct sigaction sa = {.sa_handler = forward};
  sigemptyset(&sa.sa_mask);
  int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaction(forwarded[i], &sa, NULL);

  if (!reply(fd, line, sizeof line)) {
    fprintf(stderr, "floe warm executor: the worker ended before the task did\n");
    return 1;
  }
  const char *key = answer(line, &value);
  if (strcmp(key, "signal") == 0) {
    int sig = (int)value;
    signal(sig, SIG_DFL);
    sigset_t unblock;
    sigemptyset(&unblock);
    sigaddset(&unblock, sig);
    sigprocmask(SIG_UNBLOCK, &unblock, NULL);
    kill(getpid(), sig);
    return 128 + sig;
  }
  return (int)(value & 0xff);
}
