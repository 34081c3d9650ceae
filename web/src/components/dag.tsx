// A run's DAG: nodes laid out with dagre (top to bottom), drawn as SVG, coloured by state; keyboard-selectable.
import dagre from '@dagrejs/dagre';
import { useMemo } from 'react';

export interface DagNode {
  id: string;
  label: string;
  /** `task`, `dag` (a sub-pipeline, condition or loop), `exit` (an exit handler). */
  kind: 'task' | 'dag' | 'loop' | 'condition' | 'exit' | 'artifact' | 'execution';
  state?: string;
  /** Loop iterations seen so far. */
  count?: number;
  /** The second line instead of the state (an artifact's type, say); the state still colours the node. */
  caption?: string;
}
export interface DagEdge {
  from: string;
  to: string;
}

const fill: Record<string, string> = {
  SUCCEEDED: '#d3f9d8', RUNNING: '#d0ebff', PENDING: '#f1f3f5', FAILED: '#ffe3e3', CANCELED: '#fff4e6', CANCELING: '#fff4e6', SKIPPED: '#f8f9fa', CACHED: '#c3fae8',
};
const stroke: Record<string, string> = {
  SUCCEEDED: '#2b8a3e', RUNNING: '#1971c2', PENDING: '#868e96', FAILED: '#c92a2a', CANCELED: '#d9480f', CANCELING: '#d9480f', SKIPPED: '#adb5bd', CACHED: '#087f5b',
};
const W = 180;
const H = 44;

/** Above this many nodes dagre's crossing minimisation takes seconds: a linear layered layout takes over. */
const DagreLimit = 150;

export function layoutDag(nodes: readonly DagNode[], edges: readonly DagEdge[]): { positions: Map<string, { x: number; y: number }>; width: number; height: number } {
  const started = performance.now();
  const out = nodes.length > DagreLimit ? layeredLayout(nodes, edges) : dagreLayout(nodes, edges);
  // Read by bench/dashboard-bench.ts (the layout of a 500-node run).
  performance.measure('floe:dag-layout', { start: started, end: performance.now(), detail: { nodes: nodes.length } });
  return out;
}

function dagreLayout(nodes: readonly DagNode[], edges: readonly DagEdge[]): { positions: Map<string, { x: number; y: number }>; width: number; height: number } {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 40, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: W, height: H });
  for (const e of edges) if (g.hasNode(e.from) && g.hasNode(e.to)) g.setEdge(e.from, e.to);
  dagre.layout(g);
  const positions = new Map<string, { x: number; y: number }>();
  for (const n of nodes) {
    const p = g.node(n.id);
    positions.set(n.id, { x: p.x, y: p.y });
  }
  const graph = g.graph();
  // An empty graph (the spec not loaded yet) has no extent: dagre reports -Infinity.
  const size = (v: number | undefined, min: number) => (v !== undefined && Number.isFinite(v) ? Math.max(v, min) : min);
  return { positions, width: size(graph.width, W), height: size(graph.height, H) };
}

/**
 * Rows by longest path from a root, each row ordered by the mean position of its parents (one downward sweep), laid out
 * left to right: O(nodes + edges), readable for the wide, regular graphs that loops and fan-outs make.
 */
export function layeredLayout(nodes: readonly DagNode[], edges: readonly DagEdge[]): { positions: Map<string, { x: number; y: number }>; width: number; height: number } {
  const ids = new Set(nodes.map((n) => n.id));
  const parents = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  const children = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  for (const e of edges) {
    if (!ids.has(e.from) || !ids.has(e.to) || e.from === e.to) continue;
    parents.get(e.to)!.push(e.from);
    children.get(e.from)!.push(e.to);
  }
  // Kahn's order; nodes left in a cycle (never in a valid spec) go to row 0.
  const rank = new Map<string, number>();
  const indegree = new Map(nodes.map((n) => [n.id, parents.get(n.id)!.length]));
  const queue = nodes.filter((n) => indegree.get(n.id) === 0).map((n) => n.id);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    const r = Math.max(-1, ...parents.get(id)!.map((p) => rank.get(p) ?? 0)) + 1;
    rank.set(id, r);
    for (const c of children.get(id)!) {
      indegree.set(c, indegree.get(c)! - 1);
      if (indegree.get(c) === 0) queue.push(c);
    }
  }
  const rows: string[][] = [];
  for (const n of nodes) (rows[rank.get(n.id) ?? 0] ??= []).push(n.id);
  const column = new Map<string, number>();
  for (const row of rows) {
    if (!row) continue;
    const key = (id: string) => {
      const ps = parents.get(id)!.map((p) => column.get(p) ?? 0);
      return ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : 0;
    };
    row.sort((a, b) => key(a) - key(b));
    row.forEach((id, i) => column.set(id, i));
  }
  const widest = Math.max(1, ...rows.map((r) => r?.length ?? 0));
  const width = 32 + widest * (W + 24);
  const positions = new Map<string, { x: number; y: number }>();
  rows.forEach((row, r) => {
    const offset = (width - row.length * (W + 24)) / 2;
    row.forEach((id, i) => positions.set(id, { x: offset + i * (W + 24) + W / 2 + 12, y: 16 + r * (H + 40) + H / 2 }));
  });
  return { positions, width, height: 32 + Math.max(1, rows.length) * (H + 40) };
}

export function DagView({ nodes, edges, selected, onSelect }: { nodes: DagNode[]; edges: DagEdge[]; selected?: string | undefined; onSelect: (id: string) => void }) {
  // The layout depends on the shape only: states change every poll, positions do not.
  const shape = nodes.map((n) => n.id).join('\n') + '|' + edges.map((e) => `${e.from}>${e.to}`).join('\n');
  const layout = useMemo(() => layoutDag(nodes, edges), [shape]);
  return (
    <div className="floe-dag" data-testid="run-graph">
      <svg width={layout.width} height={layout.height} role="group" aria-label="Run graph">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#868e96" />
          </marker>
        </defs>
        {edges.map((e) => {
          const a = layout.positions.get(e.from);
          const b = layout.positions.get(e.to);
          if (!a || !b) return null;
          return <line key={`${e.from}>${e.to}`} x1={a.x} y1={a.y + H / 2} x2={b.x} y2={b.y - H / 2} stroke="#adb5bd" strokeWidth={1.5} markerEnd="url(#arrow)" />;
        })}
        {nodes.map((n) => {
          const p = layout.positions.get(n.id);
          if (!p) return null;
          const state = n.state ?? 'PENDING';
          const label = n.label.length > 24 ? `${n.label.slice(0, 23)}…` : n.label;
          const extra = n.kind === 'task' ? '' : n.kind === 'loop' ? ` · loop${n.count ? ` ×${n.count}` : ''}` : ` · ${n.kind}`;
          return (
            <g
              key={n.id}
              className={`node${selected === n.id ? ' selected' : ''}`}
              transform={`translate(${p.x - W / 2},${p.y - H / 2})`}
              tabIndex={0}
              role="button"
              data-state={state}
              data-node={n.id}
              onClick={() => onSelect(n.id)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' || e.key === ' ') {
                  e.preventDefault();
                  onSelect(n.id);
                }
              }}
            >
              <rect width={W} height={H} rx={n.kind === 'task' ? 6 : 14} fill={fill[state] ?? '#f1f3f5'} stroke={stroke[state] ?? '#868e96'} strokeDasharray={n.kind === 'task' ? undefined : '4 3'} />
              <text x={10} y={18} fontSize={12} fontWeight={600} fill="#212529">
                {label}
              </text>
              <text x={10} y={34} fontSize={11} fill="#495057">
                {n.caption ?? `${state.toLowerCase()}${extra}`}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
