// The lineage walk: breadth-first over events from starting artifacts/executions, by direction and hop limit, lazily,
// so a page of N nodes reads about N nodes' events however large the whole subgraph is.
import { INPUT_EVENT_CODES, OUTPUT_EVENT_CODES } from './codec.js';
import type { LineageDirection } from './types.js';

/** One event as the walk reads it (from the covering event indexes). */
export interface Edge {
  id: number;
  artifact_id: number;
  execution_id: number;
  type: number;
}

/** How many events of one node a source returns at a time. */
export const EDGE_CHUNK = 256;

/** Where the walk reads events: one node's events ordered by (other end's id, type), after a cursor, EDGE_CHUNK at most. */
export interface EdgeSource {
  eventsOfArtifact(artifactId: number, after: readonly [number, number]): Edge[];
  eventsOfExecution(executionId: number, after: readonly [number, number]): Edge[];
}

export type NodeKind = 'artifact' | 'execution';
export type WalkItem = { kind: NodeKind; id: number } | { edge: Edge };

/**
 * Whether a walk in `direction` crosses `eventType` from a node of `from` kind. An OUTPUT event links an execution to
 * what it produced, an INPUT event links it to what it consumed: upstream of an artifact is the execution that output
 * it, upstream of an execution are its inputs. BIDIRECTIONAL treats events as undirected (as MLMD does), so it reaches
 * siblings too: the other outputs of an artifact's producer, the other consumers of an input.
 */
function crosses(direction: LineageDirection, from: NodeKind, eventType: number): boolean {
  switch (direction) {
    case 'BIDIRECTIONAL':
      return true;
    case 'UPSTREAM':
      return from === 'artifact' ? OUTPUT_EVENT_CODES.has(eventType) : INPUT_EVENT_CODES.has(eventType);
    case 'DOWNSTREAM':
      return from === 'artifact' ? INPUT_EVENT_CODES.has(eventType) : OUTPUT_EVENT_CODES.has(eventType);
  }
}

function* eventsOf(source: EdgeSource, kind: NodeKind, id: number): Generator<Edge> {
  let after: [number, number] = [0, -1];
  for (;;) {
    const chunk = kind === 'artifact' ? source.eventsOfArtifact(id, after) : source.eventsOfExecution(id, after);
    yield* chunk;
    const last = chunk[chunk.length - 1];
    if (chunk.length < EDGE_CHUNK || !last) return;
    after = [kind === 'artifact' ? last.execution_id : last.artifact_id, last.type];
  }
}

/**
 * Yields each node once, in walk order (starting nodes, then hop 1, hop 2, …; within a hop in the order found), and each
 * event between two yielded nodes once, as soon as both ends are out. The order is a function of the stored graph only, so a
 * page can be found again by replaying the walk.
 */
export function* walkLineage(source: EdgeSource, starts: { artifacts: readonly number[]; executions: readonly number[] }, direction: LineageDirection, maxHops: number): Generator<WalkItem> {
  const seen = { artifact: new Set<number>(), execution: new Set<number>() };
  const seenEdges = new Set<number>();
  let layer: { kind: NodeKind; id: number }[] = [];
  for (const [kind, ids] of [['artifact', starts.artifacts], ['execution', starts.executions]] as const) {
    for (const id of ids) {
      if (seen[kind].has(id)) continue;
      seen[kind].add(id);
      layer.push({ kind, id });
      yield { kind, id };
    }
  }
  // Every node's events are read once: the nodes within the hop limit to go further and to link back, the last hop's
  // only to link back, so the events returned are all those between returned nodes.
  for (let hop = 0; layer.length > 0; hop++) {
    const last = hop >= maxHops;
    const next: { kind: NodeKind; id: number }[] = [];
    for (const node of layer) {
      const otherKind: NodeKind = node.kind === 'artifact' ? 'execution' : 'artifact';
      for (const edge of eventsOf(source, node.kind, node.id)) {
        const other = otherKind === 'artifact' ? edge.artifact_id : edge.execution_id;
        if (!seen[otherKind].has(other)) {
          if (last || !crosses(direction, node.kind, edge.type)) continue;
          seen[otherKind].add(other);
          next.push({ kind: otherKind, id: other });
          yield { kind: otherKind, id: other };
        }
        if (!seenEdges.has(edge.id)) {
          seenEdges.add(edge.id);
          yield { edge };
        }
      }
    }
    layer = next;
  }
}

export interface WalkPage {
  artifacts: number[];
  executions: number[];
  edges: Edge[];
  /** Nodes returned by this page and the ones before it; undefined when the walk is done. */
  nextOffset: number | undefined;
}

/**
 * Nodes `offset`..`offset + size - 1` of the walk and the events whose later end is among them (or, for events found
 * after the page's last node and before the next one, whose both ends were returned by now), so that every event of
 * the subgraph is in exactly one page.
 */
export function pageOfWalk(walk: Iterable<WalkItem>, offset: number, size: number): WalkPage {
  const page: WalkPage = { artifacts: [], executions: [], edges: [], nextOffset: undefined };
  let count = 0;
  for (const item of walk) {
    if ('edge' in item) {
      if (count > offset) page.edges.push(item.edge);
      continue;
    }
    count++;
    if (count <= offset) continue;
    if (count > offset + size) {
      page.nextOffset = offset + size;
      break;
    }
    (item.kind === 'artifact' ? page.artifacts : page.executions).push(item.id);
  }
  return page;
}
