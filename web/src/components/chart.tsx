// A line/scatter chart on uPlot (small, canvas): the objective per trial, request rates.
import 'uplot/dist/uPlot.min.css';
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

export interface Series {
  label: string;
  color: string;
  values: (number | null)[];
  /** Points only (a scatter of trials) instead of a line. */
  points?: boolean;
}

export function Chart({ title, x, xLabel, yLabel, series, height = 260, wholeX = true }: { title: string; x: number[]; xLabel: string; yLabel?: string; series: Series[]; height?: number; wholeX?: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  const key = JSON.stringify([x, series.map((s) => s.values)]);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = Math.max(320, el.clientWidth || 640);
    const plot = new uPlot(
      {
        title,
        width,
        height,
        scales: { x: { time: false } },
        // Trials are whole numbers: no 1.5th trial on the axis.
        axes: [wholeX ? { label: xLabel, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] } : { label: xLabel }, yLabel ? { label: yLabel } : {}],
        series: [
          { label: xLabel },
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: s.points ? 0 : 2,
            points: { show: true, size: s.points ? 8 : 5, fill: s.color },
            spanGaps: true,
          })),
        ],
      },
      [x, ...series.map((s) => s.values)] as uPlot.AlignedData,
      el,
    );
    return () => plot.destroy();
  }, [key, title, height, wholeX, xLabel, yLabel]);
  return <div ref={box} className="floe-chart" role="img" aria-label={`${title}: ${series.map((s) => s.label).join(', ')} by ${xLabel}`} data-testid="chart" />;
}
