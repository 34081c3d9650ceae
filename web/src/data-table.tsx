// The pages' data table: a caption (its accessible name) and a row for "nothing here". Apart from ui.tsx so the
// first page's bundle does not carry Mantine's Table (and its ScrollArea and floating-ui).
import { Table, Text } from '@mantine/core';
import type { ReactNode } from 'react';

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
