// Small shared pieces: state badges, error boxes, loading lines (the data table is in data-table.tsx: the first page
// needs no Table, which brings Mantine's ScrollArea and floating-ui with it).
import { Alert, Badge, Loader, Text } from '@mantine/core';

const colors: Record<string, string> = {
  SUCCEEDED: 'green', Succeeded: 'green', Ready: 'green', True: 'green', Running: 'blue', RUNNING: 'blue', Created: 'gray',
  PENDING: 'gray', Pending: 'gray', FAILED: 'red', Failed: 'red', ERROR: 'red', False: 'red', CANCELED: 'orange', CANCELING: 'orange',
  SKIPPED: 'gray', CACHED: 'teal', Restarting: 'orange', Suspended: 'gray', Stopped: 'gray', EarlyStopped: 'teal', MetricsUnavailable: 'orange',
  ready: 'green', running: 'blue', waiting: 'yellow', stopped: 'gray', warning: 'orange', terminating: 'orange', unavailable: 'gray',
};

export function StateBadge({ state }: { state: string | undefined }) {
  const s = state ?? 'Unknown';
  return (
    <Badge color={colors[s] ?? 'gray'} c="dark.7" variant="light" aria-label={`state ${s}`}>
      {s}
    </Badge>
  );
}

export function ErrorBox({ error, title = 'Something went wrong' }: { error: string | undefined; title?: string }) {
  if (!error) return null;
  return (
    <Alert color="red" title={title} role="alert">
      {error}
    </Alert>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <Text c="dimmed" size="sm" role="status">
      <Loader size="xs" mr={8} />
      Loading {what}…
    </Text>
  );
}
