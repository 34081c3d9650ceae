// The shell: navigation, the namespace selector (kept in `?ns=`, as Kubeflow's dashboard does) and the page for the path.
import { Alert, Button, Group, Text } from '@mantine/core';
import { lazy, Suspense, useEffect, useState } from 'react';
import { ApiError, getJson, hasSession, signOut, type EnvInfo } from './api.js';
import { href, Link, navigate, useLocation } from './router.js';
import { HomePage } from './pages/home.js';
import { Loading } from './ui.js';

// Pages load on first visit: the graph layout (dagre) and the chart library (uPlot) stay out of the first page's bundle.
const SignIn = lazy(() => import('./sign-in.js').then((m) => ({ default: m.SignIn })));
const PipelinesPage = lazy(() => import('./pages/pipelines.js').then((m) => ({ default: m.PipelinesPage })));
const PipelinePage = lazy(() => import('./pages/pipelines.js').then((m) => ({ default: m.PipelinePage })));
const RunsPage = lazy(() => import('./pages/runs.js').then((m) => ({ default: m.RunsPage })));
const RunPage = lazy(() => import('./pages/runs.js').then((m) => ({ default: m.RunPage })));
const ExperimentsPage = lazy(() => import('./pages/experiments.js').then((m) => ({ default: m.ExperimentsPage })));
const ExperimentPage = lazy(() => import('./pages/experiments.js').then((m) => ({ default: m.ExperimentPage })));
const CompareRunsPage = lazy(() => import('./pages/compare.js').then((m) => ({ default: m.CompareRunsPage })));
const RecurringRunsPage = lazy(() => import('./pages/recurring.js').then((m) => ({ default: m.RecurringRunsPage })));
const SearchPage = lazy(() => import('./pages/search.js').then((m) => ({ default: m.SearchPage })));
const JobsPage = lazy(() => import('./pages/jobs.js').then((m) => ({ default: m.JobsPage })));
const JobPage = lazy(() => import('./pages/jobs.js').then((m) => ({ default: m.JobPage })));
const ModelsPage = lazy(() => import('./pages/models.js').then((m) => ({ default: m.ModelsPage })));
const ModelPage = lazy(() => import('./pages/models.js').then((m) => ({ default: m.ModelPage })));
const LineagePage = lazy(() => import('./pages/lineage.js').then((m) => ({ default: m.LineagePage })));
const NotebooksPage = lazy(() => import('./pages/notebooks.js').then((m) => ({ default: m.NotebooksPage })));

const sections = [
  { path: '/', label: 'Home' },
  { path: '/pipelines', label: 'Pipelines' },
  { path: '/runs', label: 'Runs' },
  { path: '/recurring', label: 'Recurring runs' },
  { path: '/experiments', label: 'Experiments (Katib)' },
  { path: '/jobs', label: 'Training jobs' },
  { path: '/models', label: 'Models (KServe)' },
  { path: '/notebooks', label: 'Notebooks' },
  { path: '/lineage', label: 'Lineage' },
  { path: '/search', label: 'Logs and events' },
];

export function App() {
  const { path, query } = useLocation();
  const [env, setEnv] = useState<EnvInfo>();
  const [authError, setAuthError] = useState<string>();
  const [attempt, setAttempt] = useState(0);
  const [signedIn, setSignedIn] = useState(false);

  useEffect(() => {
    getJson<EnvInfo>('/api/workgroup/env-info')
      .then((e) => {
        setEnv(e);
        setAuthError(undefined);
        void hasSession().then(setSignedIn);
      })
      .catch((err: unknown) => setAuthError(err instanceof ApiError && err.status === 401 ? 'Floe asks for a token.' : err instanceof Error ? err.message : String(err)));
  }, [attempt]);

  const namespaces = env?.namespaces.map((n) => n.namespace) ?? [];
  const ns = query.get('ns') ?? (namespaces.includes('default') ? 'default' : namespaces[0]) ?? 'default';

  useEffect(() => {
    const title = sections.find((s) => s.path !== '/' && path.startsWith(s.path))?.label ?? 'Home';
    document.title = `${title} · Floe`;
  }, [path]);

  if (authError && !env) {
    // The sign-in form loads only when it is needed: the first page stays small.
    return (
      <Suspense fallback={<Loading what="sign-in" />}>
        <SignIn
          error={authError}
          onSignedIn={() => setAttempt((a) => a + 1)}
        />
      </Suspense>
    );
  }

  return (
    // A plain grid rather than Mantine's AppShell and NavLink: they bring scroll locking, collapse animations and
    // resize handles the dashboard does not use into the first page's bundle.
    <div className="floe-shell">
      <a className="floe-skip" href="#main">
        Skip to content
      </a>
      <header className="floe-header">
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Link to={href('/', ns)} ariaLabel="Floe home" className="floe-home-link">
            <Text className="floe-logo" size="lg" c="indigo.8" component="span">
              Floe
            </Text>
          </Link>
          <Group gap="sm" wrap="nowrap">
            {/* A plain native select: keyboard and screen readers for free, and no input or popover code in the first page. */}
            <select
              aria-label="Namespace"
              className="floe-ns-select"
              value={ns}
              onChange={(e) => {
                const v = e.currentTarget.value;
                if (!v) return;
                const q = new URLSearchParams(location.search);
                q.set('ns', v);
                navigate(`${path}?${q.toString()}`);
              }}
            >
              {(namespaces.length ? (namespaces.includes(ns) ? namespaces : [ns, ...namespaces]) : [ns]).map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
            <Text size="sm" c="dimmed" aria-label="Signed in as">
              {env?.user ?? ''}
            </Text>
            {signedIn && (
              <Button
                size="xs"
                variant="default"
                onClick={() => {
                  void signOut().then(() => {
                    setSignedIn(false);
                    setEnv(undefined);
                    setAuthError('Signed out.');
                  });
                }}
              >
                Sign out
              </Button>
            )}
          </Group>
        </Group>
      </header>
      <nav className="floe-nav" aria-label="Sections">
        {sections.map((s) => {
          const active = s.path === '/' ? path === '/' : path.startsWith(s.path);
          return (
            <a
              key={s.path}
              href={href(s.path, ns)}
              className="floe-nav-link"
              data-active={active || undefined}
              aria-current={active ? 'page' : undefined}
              onClick={(e) => {
                if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
                e.preventDefault();
                navigate(href(s.path, ns));
              }}
            >
              {s.label}
            </a>
          );
        })}
      </nav>
      <main id="main" className="floe-main">
        <Suspense fallback={<Loading what="the page" />}>
          <Page path={path} ns={ns} query={query} />
        </Suspense>
      </main>
    </div>
  );
}

function Page({ path, ns, query }: { path: string; ns: string; query: URLSearchParams }) {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [section, id, sub] = parts;
  switch (section) {
    case undefined:
      return <HomePage ns={ns} />;
    case 'pipelines':
      return id ? <PipelinePage ns={ns} id={id} /> : <PipelinesPage ns={ns} />;
    case 'runs':
      return id ? <RunPage ns={ns} id={id} task={query.get('task') ?? undefined} /> : <RunsPage ns={ns} />;
    case 'compare':
      return <CompareRunsPage ns={ns} ids={(query.get('runs') ?? '').split(',').filter(Boolean).slice(0, 3)} />;
    case 'search':
      return <SearchPage ns={ns} q={query.get('q') ?? ''} />;
    case 'recurring':
      return <RecurringRunsPage ns={ns} />;
    case 'experiments':
      return id ? <ExperimentPage ns={ns} name={id} /> : <ExperimentsPage ns={ns} />;
    case 'jobs':
      return id && sub ? <JobPage ns={ns} plural={id} name={sub} /> : <JobsPage ns={ns} />;
    case 'models':
      return id ? <ModelPage ns={ns} name={id} /> : <ModelsPage ns={ns} />;
    case 'notebooks':
      return <NotebooksPage ns={ns} />;
    case 'lineage':
      return <LineagePage ns={ns} artifact={query.get('artifact') ?? undefined} direction={query.get('direction') ?? 'BIDIRECTIONAL'} />;
    default:
      return (
        <Alert color="yellow" title="No such page">
          Nothing lives at {path}. <Link to={href('/', ns)}>Go home</Link>.
        </Alert>
      );
  }
}
