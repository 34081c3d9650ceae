// A small history router: paths under /ui/, the namespace in `?ns=` (as Kubeflow's dashboard keeps it).
import { useEffect, useState, type MouseEvent, type ReactNode } from 'react';

export const Base = '/ui';

function current(): { path: string; query: URLSearchParams } {
  const path = location.pathname.startsWith(Base) ? location.pathname.slice(Base.length) || '/' : '/';
  return { path, query: new URLSearchParams(location.search) };
}

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((l) => l()));

export function navigate(to: string, replace = false): void {
  const url = to.startsWith(Base) ? to : `${Base}${to}`;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  listeners.forEach((l) => l());
  if (!replace) window.scrollTo(0, 0);
}

export function useLocation(): { path: string; query: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((t) => t + 1);
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return current();
}

/** Builds a link that keeps the selected namespace. */
export function href(path: string, ns: string | undefined, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams(extra);
  if (ns) q.set('ns', ns);
  const qs = q.toString();
  return `${Base}${path}${qs ? `?${qs}` : ''}`;
}

export function Link({ to, children, className, ariaLabel }: { to: string; children: ReactNode; className?: string; ariaLabel?: string }) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={onClick} className={className} aria-label={ariaLabel}>
      {children}
    </a>
  );
}
