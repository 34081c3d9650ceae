// Each Python task's own environment: a thin virtualenv layered over the one the image maps to (read-only to the task),
// so a component's `pip install` lands in the task's folder and never rewrites Floe's environment (issue 23).
// The shell script builds it without starting Python when the base is a virtualenv (the local runtime's case: a few
// mkdir/ln/cp, ~15 ms of CPU); otherwise the Python helper uses the venv module. Both are written into the pipelines
// folder, which every task Pod mounts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `sh <script> <overlay dir> <command...>`: creates the overlay once, puts it first on PATH, then execs the command. */
export const taskEnvScript = `# Floe: runs a task's command in its own Python environment, layered over the read-only one it was given.
o="$1"; shift
base="$VIRTUAL_ENV"
if [ ! -e "$o/pyvenv.cfg" ]; then
  if [ -n "$VIRTUAL_ENV" ] && [ -f "$VIRTUAL_ENV/pyvenv.cfg" ]; then
    mkdir -p "$o/bin" || exit 1
    for d in "$VIRTUAL_ENV"/lib/python3*; do
      [ -d "$d/site-packages" ] || continue
      mkdir -p "$o/lib/\${d##*/}/site-packages" && echo "$d/site-packages" > "$o/lib/\${d##*/}/site-packages/_floe_base.pth" || exit 1
    done
    for x in "$VIRTUAL_ENV"/bin/python*; do ln -s "$(readlink -f "$x")" "$o/bin/\${x##*/}" || exit 1; done
    cp "$VIRTUAL_ENV/pyvenv.cfg" "$o/pyvenv.cfg" || exit 1
  else
    python3 "$(dirname "$0")/floe-task-env.py" "$o" || exit 1
  fi
fi
PATH="$o/bin:$PATH"; VIRTUAL_ENV="$o"; export PATH VIRTUAL_ENV
# A venv the task builds with --system-site-packages (kfp's use_venv) reads the user site: point it at the base's
# packages. The task's own environment has no system site, so it ignores this and its installs still come first.
if [ -n "$base" ] && [ -f "$base/pyvenv.cfg" ]; then PYTHONUSERBASE="$base"; export PYTHONUSERBASE; fi
exec "$@"
`;

/** The fallback for a base that is not a virtualenv (a plain python image): `python3 <helper> <overlay dir>`. */
export const taskEnvHelper = `"""Floe: one task's own Python environment, layered over the interpreter that runs this script (read-only to the task)."""
import os
import sys
import sysconfig
import venv

target = sys.argv[1]
if not os.path.exists(os.path.join(target, 'bin', 'python3')):
    venv.EnvBuilder(symlinks=True, with_pip=False, clear=True).create(target)
    purelib = sysconfig.get_paths(vars={'base': target, 'platbase': target})['purelib']
    base = [p for p in sys.path if p.endswith(('site-packages', 'dist-packages')) and os.path.isdir(p)]
    with open(os.path.join(purelib, '_floe_base.pth'), 'w') as f:
        f.write('\\n'.join(base) + '\\n')
`;

/** Writes both scripts under `<dir>/bin`; returns the shell script's path. */
export function installTaskEnv(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'floe-task-env.py'), taskEnvHelper);
  const script = join(bin, 'floe-task-env.sh');
  writeFileSync(script, taskEnvScript);
  return script;
}

/** Whether a command runs Python (a lightweight component, `python3 -c`, a script): only those get an overlay. */
export function runsPython(argv: readonly string[]): boolean {
  return argv.some((a) => /(^|[\s/'"])python3?(\.\d+)?(\s|$|'|")/.test(a) || /(^|\s)pip3?\s+install/.test(a));
}

/** The command that runs `argv` in the overlay at `overlay` (the task attempt's own folder). */
export function inTaskEnv(script: string, overlay: string, argv: readonly string[]): string[] {
  return ['sh', script, overlay, ...argv];
}
