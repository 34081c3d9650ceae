// A parallel-coordinates plot (SVG) over a Katib experiment's parameters and its objective: one vertical axis per
// parameter plus the objective, one line per trial; numbers scaled to each axis' range, categories spread evenly.
// The best trial is drawn on top and thicker.
export interface Line {
  name: string;
  values: Record<string, string | number | null | undefined>;
  best?: boolean;
}

const W = 860;
const H = 300;
const PadX = 70;
const PadTop = 30;
const PadBottom = 40;

function fmt(n: number): string {
  return Math.abs(n) >= 1000 || (n !== 0 && Math.abs(n) < 0.001) ? n.toExponential(2) : String(Number(n.toPrecision(4)));
}

export function ParallelCoordinates({ axes, lines, title }: { axes: string[]; lines: Line[]; title: string }) {
  const x = (i: number) => PadX + (axes.length <= 1 ? 0 : (i * (W - 2 * PadX)) / (axes.length - 1));
  const scales = axes.map((axis) => {
    const raw = lines.map((l) => l.values[axis]).filter((v): v is string | number => v !== null && v !== undefined && v !== '');
    const numbers = raw.map(Number);
    if (raw.length > 0 && numbers.every((n) => Number.isFinite(n))) {
      const min = Math.min(...numbers);
      const max = Math.max(...numbers);
      const span = max - min || 1;
      return { ticks: [max, (max + min) / 2, min].map((t) => ({ label: fmt(t), y: PadTop + ((max - t) / span) * (H - PadTop - PadBottom) })), y: (v: string | number) => PadTop + ((max - Number(v)) / span) * (H - PadTop - PadBottom) };
    }
    const categories = [...new Set(raw.map(String))].sort();
    const step = (H - PadTop - PadBottom) / Math.max(1, categories.length - 1);
    const y = (v: string | number) => PadTop + (categories.length === 1 ? (H - PadTop - PadBottom) / 2 : categories.indexOf(String(v)) * step);
    return { ticks: categories.map((c) => ({ label: c, y: y(c) })), y };
  });
  const ordered = [...lines].sort((a, b) => Number(a.best ?? false) - Number(b.best ?? false));
  return (
    <figure className="floe-parallel-box" data-testid="parallel-coordinates">
      <svg viewBox={`0 0 ${W} ${H}`} className="floe-parallel" role="img" aria-label={`${title}: ${lines.length} trials over ${axes.join(', ')}`}>
        {ordered.map((l) => {
          const points = axes
            .map((a, i) => {
              const v = l.values[a];
              return v === null || v === undefined || v === '' ? undefined : `${x(i).toFixed(1)},${scales[i]!.y(v).toFixed(1)}`;
            })
            .filter(Boolean);
          return <polyline key={l.name} data-trial={l.name} points={points.join(' ')} fill="none" stroke={l.best ? '#2b8a3e' : '#4c6ef5'} strokeOpacity={l.best ? 1 : 0.55} strokeWidth={l.best ? 3.5 : 1.5} />;
        })}
        {axes.map((a, i) => (
          <g key={a}>
            <line x1={x(i)} x2={x(i)} y1={PadTop} y2={H - PadBottom} stroke="#495057" strokeWidth={1} />
            <text x={x(i)} y={H - PadBottom + 22} textAnchor="middle" fontSize={13} fontWeight={600} fill="#212529">
              {a}
            </text>
            {scales[i]!.ticks.map((t) => (
              <text key={t.label} x={x(i) - 6} y={t.y + 4} textAnchor="end" fontSize={11} fill="#343a40">
                {t.label}
              </text>
            ))}
          </g>
        ))}
      </svg>
      <figcaption className="floe-parallel-caption">{title}: one line per trial{lines.some((l) => l.best) ? '; the best trial in green' : ''}.</figcaption>
    </figure>
  );
}
