// Small shared pieces: state badges, error boxes, empty tables.
import { Alert, Badge, Loader, Table, Text } from '@mantine/core';
import type { ReactNode } from 'react';

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

/** A table with a caption (its accessible name) and a row for "nothing here". */
export function DataTable({ caption, head, rows, empty }: { caption: string; head: string[]; rows: ReactNode[][]; empty: string }) {
  return (
    <Table striped highlightOnHover withTableBorder aria-label={caption}>
      <Table.Thead>
        <Table.Tr>
          {head.map((h) => (
            <Table.Th key={h}>{h}</Table.Th>
          ))}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.length === 0 ? (
          <Table.Tr>
            <Table.Td colSpan={head.length}>
              <Text c="dimmed" size="sm">
                {empty}
              </Text>
            </Table.Td>
          </Table.Tr>
        ) : (
          rows.map((r, i) => (
            <Table.Tr key={i}>
              {r.map((c, j) => (
                <Table.Td key={j}>{c}</Table.Td>
              ))}
            </Table.Tr>
          ))
        )}
      </Table.Tbody>
    </Table>
  );
}
