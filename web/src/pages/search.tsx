// Logs and events search: the server searches one namespace's Pods' logs and its Events for a text (bounded) and
// returns only the matching lines.
import { Button, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { age, getJson } from '../api.js';
import { href, navigate } from '../router.js';
import { DataTable } from '../data-table.js';
import { ErrorBox, Loading, StateBadge } from '../ui.js';

interface SearchResult {
  logs: { pod: string; container: string; line: number; text: string }[];
  events: { type?: string; reason?: string; object: string; message: string; count?: number; last?: string }[];
  podsSearched: number;
  truncated: boolean;
  denied: string[];
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function Highlight({ text, query }: { text: string; query: string }) {
  const at = text.toLowerCase().indexOf(query.toLowerCase());
  if (at < 0 || !query) return <>{text}</>;
  return (
    <>
      {text.slice(0, at)}
      <mark>{text.slice(at, at + query.length)}</mark>
      {text.slice(at + query.length)}
    </>
  );
}

export function SearchPage({ ns, q }: { ns: string; q: string }) {
  const [text, setText] = useState(q);
  const [result, setResult] = useState<SearchResult>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [searched, setSearched] = useState('');
  const run = (query: string) => {
    setBusy(true);
    setError(undefined);
    getJson<SearchResult>(`/api/dashboard/search?namespace=${encodeURIComponent(ns)}&q=${encodeURIComponent(query)}`)
      .then((r) => (setResult(r), setSearched(query)))
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)))
      .finally(() => setBusy(false));
  };
  // A deep link (?q=) searches on arrival.
  const [initial] = useState(q);
  useEffect(() => {
    if (initial.trim().length >= 2) run(initial);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once, for the link the page was opened with
  }, [initial]);
  return (
    <Stack>
      <Title order={1}>Logs and events</Title>
      <form
        role="search"
        aria-label="Search logs and events"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(href('/search', ns, { q: text }), true);
          run(text);
        }}
      >
        <Group align="end">
          <TextInput label="Text to find" description={`In namespace ${ns}: Pods' logs (newest Pods first) and Events`} value={text} onChange={(e) => setText(e.currentTarget.value)} w={360} />
          <Button type="submit" loading={busy} disabled={text.trim().length < 2}>
            Search
          </Button>
        </Group>
      </form>
      <ErrorBox error={error} />
      {busy && !result && <Loading what="matches" />}
      {result && (
        <>
          <Text size="sm" aria-live="polite" data-testid="search-summary">
            {plural(result.logs.length, 'log line')} in {plural(result.podsSearched, 'pod')} and {plural(result.events.length, 'event')} match “{searched}”{result.truncated ? ' (search bounded: newest pods, the end of long logs, first 500 matches)' : ''}.
            {result.denied.length ? ` You may not read ${result.denied.join(' or ')} here.` : ''}
          </Text>
          <Title order={2} size="h3">
            Log lines
          </Title>
          <DataTable
            caption="Matching log lines"
            head={['Pod', 'Container', 'Line', 'Text']}
            empty="No log line matches."
            rows={result.logs.map((m) => [m.pod, m.container, m.line, <code key="t" className="floe-log-line"><Highlight text={m.text} query={searched} /></code>])}
          />
          <Title order={2} size="h3">
            Events
          </Title>
          <DataTable
            caption="Matching events"
            head={['Type', 'Reason', 'Object', 'Message', 'Last seen']}
            empty="No event matches."
            rows={result.events.map((e) => [<StateBadge key="t" state={e.type === 'Warning' ? 'warning' : e.type ?? 'Normal'} />, e.reason ?? '', e.object, <Highlight key="m" text={e.message} query={searched} />, age(e.last)])}
          />
        </>
      )}
    </Stack>
  );
}
