"""Floe's warm executor for KFP lightweight Python components (issue 23): a worker per Python environment that has
imported kfp once and forks one child per task, and the tiny client a task Pod runs instead of its command.

  worker <socket>                       started by Floe's pipelines capability; listens on <socket> (0600)
  client <socket> <offset> <argv...>    a task Pod's command, run as `python3 -S`: argv is the Pod's own command (what
                                        runs when the worker cannot take the task), argv[offset:] the component's

The client passes its stdin/stdout/stderr (SCM_RIGHTS), the component's argv, its environment and working directory.
The worker checks that the task is the compiler's lightweight-component command and that every package it would
pip-install is already present; if not it answers `fallback` and the client execs its argv unchanged. Otherwise it
forks: the child moves into the client's cgroups (so the Pod's limits and kill reach it), takes the client's fds,
directory and environment, writes the component's source and runs `kfp.dsl.executor_main` as `python3 -m` would. The
client forwards SIGTERM/SIGINT/SIGHUP/SIGQUIT to the child and exits as the child did (a signal re-raised on itself);
if the client dies first, the worker kills the child. Only the standard library is used by the client.
"""
import os
import sys
# The client runs once per task, so its start is on every step's path: it uses the C modules only (`import json`,
# `import socket` and `import signal` took 30 of its 41 ms, `python3 -S` alone 13). The worker imports the rest.
import _signal
import _socket
from _json import encode_basestring_ascii as _quote

FORWARDED = (_signal.SIGTERM, _signal.SIGINT, _signal.SIGHUP, _signal.SIGQUIT)


# ---- client (python3 -S: the standard library only, no site) --------------------------------------------------------

def replies(s):
    """The worker's answers, one line each, then None when it closes the connection."""
    buf = b''
    while True:
        while b'\n' not in buf:
            chunk = s.recv(4096)
            if not chunk:
                yield None
                return
            buf += chunk
        line, buf = buf.split(b'\n', 1)
        yield line


def answer(line):
    """(key, value) of a one-key JSON object as the worker writes them: {"pid": 12}, {"code": 0}, {"fallback": "…"}."""
    key, _, value = line.decode().strip()[1:-1].partition(':')
    return key.strip().strip('"'), value.strip()


def client(path, offset, argv):
    def fallback():
        os.execvp(argv[0], argv)

    s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        s.connect(path)
    except OSError:
        s.close()
        fallback()
    umask = os.umask(0)
    os.umask(umask)
    # The request's JSON written out by hand, every string quoted by json's own C encoder (as json.dumps does).
    payload = ('{"argv": [%s], "env": {%s}, "cwd": %s, "umask": %d}' % (
        ', '.join(_quote(a) for a in argv[offset:]),
        ', '.join('%s: %s' % (_quote(k), _quote(v)) for k, v in os.environ.items()),
        _quote(os.getcwd()), umask)).encode()
    message = len(payload).to_bytes(4, 'big') + payload
    import array
    lines = replies(s)
    try:
        sent = s.sendmsg([message], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, array.array('i', [0, 1, 2]))])
        s.sendall(message[sent:])
        first = next(lines)
        key, value = answer(first) if first else ('fallback', 'no answer')
        child = int(value) if key == 'pid' else None
    except (OSError, ValueError):
        child = None  # the worker went away, or answered what this client cannot read
    if child is None:
        s.close()
        fallback()

    def forward(signum, _frame):
        try:
            os.kill(child, signum)
        except OSError:
            pass

    for sig in FORWARDED:
        _signal.signal(sig, forward)
    line = next(lines)
    if not line:
        sys.stderr.write('floe warm executor: the worker ended before the task did\n')
        sys.exit(1)
    key, value = answer(line)
    if key == 'signal':
        sig = int(value)
        _signal.signal(sig, _signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        sys.exit(128 + sig)
    sys.exit(int(value))


# ---- worker ---------------------------------------------------------------------------------------------------------

ENSUREPIP = ('if ! [ -x "$(command -v pip)" ]; then python3 -m ensurepip || python3 -m ensurepip --user || '
             'apt-get install python3-pip fi')
EXECUTOR = ('program_path=$(mktemp -d) printf "%s" "$0" > "$program_path/ephemeral_component.py" '
            '_KFP_RUNTIME=true python3 -m kfp.dsl.executor_main --component_module_path '
            '"$program_path/ephemeral_component.py" "$@"')
# pip options that take a value (skipped with it); -r/-c name files whose contents cannot be checked here.
VALUE_OPTIONS = {'-i', '--index-url', '--extra-index-url', '--trusted-host', '-f', '--find-links'}
UNCHECKABLE = {'-r', '--requirement', '-c', '--constraint', '-e', '--editable', '--upgrade', '-U', '--pre',
               '--force-reinstall', '-t', '--target', '--user', '--prefix', '--root'}


def words(text):
    return ' '.join(text.split())


class Worker:
    def __init__(self, path):
        self.path = path
        self.satisfied = {}
        self.children = {}
        self.mounts = self.cgroup_mounts()
        self.startup_env = {k: v for k, v in os.environ.items() if k.startswith('PYTHON')}
        self.retiring = False  # Floe has gone: no new task; exit once the running ones have reported

    # -- what a task is ------------------------------------------------------------------------------------------------

    def plan(self, argv, env):
        """(source, executor args) for the compiler's lightweight command whose packages are all present, else a reason."""
        # PYTHONPATH, PYTHONHASHSEED, PYTHONUNBUFFERED… act when an interpreter starts: a task that sets one the worker
        # was not started with needs its own interpreter.
        for name in set(env) | set(self.startup_env):
            if name.startswith('PYTHON') and env.get(name, '') != self.startup_env.get(name, ''):
                return 'the task sets ' + name
        rest = argv
        if len(rest) >= 3 and rest[0] in ('sh', '/bin/sh') and rest[1] == '-c':
            reason = self.check_install(rest[2])
            if reason:
                return reason
            rest = rest[3:]
        if len(rest) < 3 or rest[0] not in ('sh', '/bin/sh') or rest[1] != '-ec' or words(rest[2]) != EXECUTOR:
            return 'not a lightweight component command'
        if len(rest) < 4:
            return 'no component source'
        return rest[3], rest[4:]

    def check_install(self, script):
        text = words(script)
        if text.startswith(ENSUREPIP):
            text = text[len(ENSUREPIP):].strip()
        segments = [s.strip() for s in text.split('&&')]
        if not segments or segments[-1] != '"$0" "$@"':
            return 'the install step is not the compiler\'s'
        import shlex
        for segment in segments[:-1]:
            tokens = shlex.split(segment)
            while tokens and '=' in tokens[0] and not tokens[0].startswith('-'):
                tokens = tokens[1:]  # PIP_DISABLE_PIP_VERSION_CHECK=1
            if tokens[:4] != ['python3', '-m', 'pip', 'install']:
                return 'the install step runs something else'
            option_value_next = False
            for token in tokens[4:]:
                if option_value_next:
                    option_value_next = False
                elif token in UNCHECKABLE or token.split('=', 1)[0] in UNCHECKABLE:
                    return 'pip option ' + token
                elif token in VALUE_OPTIONS:
                    option_value_next = True
                elif token.startswith('-'):
                    continue
                else:
                    reason = self.check_requirement(token)
                    if reason:
                        return reason
        return None

    def check_requirement(self, text):
        if text not in self.satisfied:
            self.satisfied[text] = self.requirement_reason(text)
        return self.satisfied[text]

    @staticmethod
    def requirement_reason(text):
        from importlib import metadata
        from pip._vendor.packaging.requirements import InvalidRequirement, Requirement
        try:
            req = Requirement(text)
        except InvalidRequirement:
            return 'package ' + text + ' is a path or URL'
        if req.url:
            return 'package ' + text + ' is a URL'
        if req.marker is not None and not req.marker.evaluate():
            return None
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            return 'package ' + req.name + ' is not installed'
        if req.specifier and not req.specifier.contains(version, prereleases=True):
            return 'package ' + req.name + ' ' + version + ' does not satisfy ' + str(req.specifier)
        return None

    # -- cgroups -------------------------------------------------------------------------------------------------------

    @staticmethod
    def cgroup_mounts():
        """hierarchy key ('' for v2, else its controllers) -> (mount root, mount point)."""
        out = {}
        try:
            lines = open('/proc/self/mountinfo').read().splitlines()
        except OSError:
            return out
        for line in lines:
            left, _, right = line.partition(' - ')
            fields, kinds = left.split(' '), right.split(' ')
            if len(fields) < 5 or len(kinds) < 3:
                continue
            if kinds[0] == 'cgroup2':
                out.setdefault('', (fields[3], fields[4]))
            elif kinds[0] == 'cgroup':
                options = [o for o in kinds[2].split(',') if o not in ('rw', 'ro') and not o.startswith('relatime')]
                named = [o for o in options if o.startswith('name=')]
                key = named[0] if named else ','.join(sorted(o for o in options if '=' not in o and o not in (
                    'nosuid', 'nodev', 'noexec', 'clone_children', 'noprefix', 'xattr')))
                out.setdefault(key, (fields[3], fields[4]))
        return out

    def join_cgroups(self, pid):
        """Moves this process into every cgroup process `pid` is in (the task Pod's). A hierarchy where both are in the
        same cgroup is left alone. In a v1 hierarchy the move is of this thread, the process's only one after the fork
        (`0` into `tasks`): a write to cgroup.procs takes the kernel's global cgroup lock, which waits for an RCU grace
        period (milliseconds on a busy machine); v2 has only cgroup.procs. So in a hybrid layout, where the v1
        hierarchies hold the controllers (limits, usage, OOM) and Floe's kill signals what they list, the v2 one is
        skipped; on a pure v2 machine it is the only one, and joined."""
        own = set(open('/proc/self/cgroup').read().splitlines())
        lines = open('/proc/%d/cgroup' % pid).read().splitlines()
        hybrid = any(not line.startswith('0::') for line in lines)
        for line in lines:
            if line in own:
                continue
            hid, controllers, path = line.split(':', 2)
            if hybrid and hid == '0' and controllers == '':
                continue
            key = '' if hid == '0' and controllers == '' else ','.join(sorted(controllers.split(',')))
            mount = self.mounts.get(key)
            if not mount:
                continue
            root, point = mount
            if root != '/' and not (path + '/').startswith(root.rstrip('/') + '/'):
                continue
            rel = path[len(root.rstrip('/')):] if root != '/' else path
            target = os.path.join(point, rel.lstrip('/'), 'tasks' if key else 'cgroup.procs')
            try:
                with open(target, 'w') as f:
                    f.write('0' if key else str(os.getpid()))
            except OSError as err:
                if err.errno not in (2, 13, 30):  # a hierarchy we may not write (or gone): the others still hold
                    raise

    @staticmethod
    def same_host(pid):
        """Whether the client sees the worker's filesystem: a Pod in an OCI container must not run on the host."""
        try:
            return (os.readlink('/proc/%d/ns/mnt' % pid) == os.readlink('/proc/self/ns/mnt')
                    and os.stat('/proc/%d/root' % pid).st_ino == os.stat('/').st_ino)
        except OSError:
            return False

    @staticmethod
    def copy_limits(pid):
        """The client's resource limits (the runtime may bound a Pod's processes with prlimit)."""
        import resource
        for name in dir(resource):
            if not name.startswith('RLIMIT_'):
                continue
            which = getattr(resource, name)
            try:
                resource.setrlimit(which, resource.prlimit(pid, which))
            except (OSError, ValueError):
                pass

    # -- the loop ------------------------------------------------------------------------------------------------------

    def serve(self):
        import selectors
        os.environ['_KFP_RUNTIME'] = 'true'
        # What `python3 -m kfp.dsl.executor_main` imports, once (executor_main itself runs fresh in each child).
        import kfp  # noqa: F401
        from kfp.dsl import executor, kfp_config, utils  # noqa: F401
        import argparse, logging, runpy, tempfile, traceback  # noqa: F401,E401
        from importlib import metadata  # noqa: F401
        from pip._vendor.packaging import requirements  # noqa: F401
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        os.set_blocking(wake_r, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGTERM, lambda *_: self.retire())
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        listener.bind(self.path)
        self.socket_inode = os.stat(self.path).st_ino
        os.umask(old)
        os.chmod(self.path, 0o600)
        listener.listen(128)
        self.listener = listener
        sel = selectors.DefaultSelector()
        sel.register(listener, selectors.EVENT_READ, 'accept')
        sel.register(wake_r, selectors.EVENT_READ, 'wake')
        sel.register(sys.stdin.fileno(), selectors.EVENT_READ, 'parent')
        self.wake = (wake_r, wake_w)
        self.sel = sel
        sys.stdout.write('ready\n')
        sys.stdout.flush()
        pending = {}  # conn -> (buffer, fds)
        while True:
            for key, _ in sel.select():
                what = key.data
                if what == 'accept':
                    try:
                        conn, _ = listener.accept()
                    except OSError:
                        continue
                    pending[conn] = [b'', []]
                    sel.register(conn, selectors.EVENT_READ, 'request')
                elif what == 'wake':
                    try:
                        os.read(wake_r, 4096)
                    except BlockingIOError:
                        pass
                    self.reap()
                elif what == 'parent':
                    if not os.read(sys.stdin.fileno(), 4096):
                        self.retire()
                elif what == 'request':
                    self.read_request(key.fileobj, pending)
                elif what == 'task':
                    self.watch_client(key.fileobj)

    def read_request(self, conn, pending):
        import array
        state = pending[conn]
        try:
            fds = array.array('i')
            data, ancdata, _, _ = conn.recvmsg(1 << 20, socket.CMSG_SPACE(3 * fds.itemsize))
            for level, kind, cdata in ancdata:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(cdata[:len(cdata) - (len(cdata) % fds.itemsize)])
            state[1].extend(fds)
        except OSError:
            data = b''
        if not data:
            self.drop(conn, pending)
            return
        state[0] += data
        buf = state[0]
        if len(buf) < 4 or len(buf) < 4 + int.from_bytes(buf[:4], 'big'):
            return
        del pending[conn]
        self.sel.unregister(conn)
        fds = state[1]
        try:
            request = json.loads(buf[4:4 + int.from_bytes(buf[:4], 'big')])
            creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
            peer = int.from_bytes(creds[:4], sys.byteorder)
            plan = self.plan(request['argv'], request['env']) if len(fds) == 3 else 'no stdio passed'
            if self.retiring:
                plan = 'the worker is stopping'
            if not isinstance(plan, str) and not self.same_host(peer):
                plan = 'the task runs in a container (another mount namespace or root)'
            if isinstance(plan, str):
                conn.sendall(json.dumps({'fallback': plan}).encode() + b'\n')
                conn.close()
                return
            pid = self.fork_task(conn, peer, fds, request, *plan)
        except Exception as err:  # a request the worker cannot serve: the client runs the task itself
            try:
                conn.sendall(json.dumps({'fallback': repr(err)}).encode() + b'\n')
            except OSError:
                pass
            conn.close()
            return
        finally:
            for fd in fds:
                os.close(fd)
        self.children[pid] = conn
        conn.sendall(json.dumps({'pid': pid}).encode() + b'\n')
        self.sel.register(conn, 1, 'task')

    def drop(self, conn, pending):
        for fd in pending.pop(conn, [b'', []])[1]:
            os.close(fd)
        self.sel.unregister(conn)
        conn.close()

    def fork_task(self, conn, peer, fds, request, source, args):
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid:
            return pid
        code = 1
        try:
            code = self.child(peer, fds, request, source, args)
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        except KeyboardInterrupt:
            import traceback
            traceback.print_exc()
            code = -signal.SIGINT  # as Python does: the interrupt ends the process by SIGINT
        except BaseException:
            import traceback
            traceback.print_exc()
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                if code < 0:
                    signal.signal(-code, signal.SIG_DFL)
                    os.kill(os.getpid(), -code)
                os._exit(code & 0xff)

    def child(self, peer, fds, request, source, args):
        os.setsid()
        self.join_cgroups(peer)
        self.copy_limits(peer)
        os.umask(request.get('umask', 0o022))
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in [int(f) for f in os.listdir('/proc/self/fd')]:  # the worker's sockets, pipes and listener
            if fd > 2:
                try:
                    os.close(fd)
                except OSError:
                    pass
        os.chdir(request['cwd'])
        os.environ.clear()
        os.environ.update(request['env'])
        os.environ['_KFP_RUNTIME'] = 'true'
        import runpy
        import tempfile
        tempfile.tempdir = None
        program = tempfile.mkdtemp()
        module = os.path.join(program, 'ephemeral_component.py')
        with open(module, 'w') as f:
            f.write(source)
        sys.argv = ['-m', '--component_module_path', module] + list(args)
        runpy.run_module('kfp.dsl.executor_main', run_name='__main__', alter_sys=True)
        return 0

    def watch_client(self, conn):
        """The client's side closed while its child runs: the Pod is gone, so is the task."""
        try:
            data = conn.recv(4096)
        except OSError:
            data = b''
        if data:
            return
        self.sel.unregister(conn)
        for pid, c in list(self.children.items()):
            if c is conn:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass

    def reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = self.children.pop(pid, None)
            if conn is None:
                continue
            if os.WIFSIGNALED(status):
                reply = {'signal': os.WTERMSIG(status)}
            else:
                reply = {'code': os.waitstatus_to_exitcode(status)}
            try:
                self.sel.unregister(conn)
            except (KeyError, ValueError):
                pass
            try:
                conn.sendall(json.dumps(reply).encode() + b'\n')
            except OSError:
                pass
            conn.close()
            if self.retiring and not self.children:
                os._exit(0)

    def retire(self):
        """Floe stopped (or asked): take no new task, let the running ones finish and report to their clients, then
        exit. Their Pods outlive Floe as every Pod does (a restarted Floe re-adopts them); a Pod that is killed closes
        its client's connection, and that kills its task (watch_client)."""
        if self.retiring:
            return
        self.retiring = True
        try:
            self.sel.unregister(self.listener)
            self.sel.unregister(sys.stdin.fileno())
        except (KeyError, ValueError):
            pass
        self.listener.close()
        try:
            # Only our own socket: a new worker (a restarted Floe's) may already listen at the same path.
            if os.stat(self.path).st_ino == self.socket_inode:
                os.unlink(self.path)
        except OSError:
            pass
        if not self.children:
            os._exit(0)

    def shutdown(self, code):
        for pid in list(self.children):
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            os.unlink(self.path)
        except OSError:
            pass
        os._exit(code)


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ''
    if mode == 'client' and len(sys.argv) > 4:
        client(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    elif mode == 'worker' and len(sys.argv) == 3:
        global json, signal, socket
        import json
        import signal
        import socket
        Worker(sys.argv[2]).serve()
    else:
        sys.stderr.write('usage: floe_warm_executor.py worker <socket> | client <socket> <offset> <argv...>\n')
        sys.exit(2)


if __name__ == '__main__':
    main()
