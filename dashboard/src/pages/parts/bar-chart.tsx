/** A small inline SVG bar chart of hourly counts; each bar names its hour and count for screen readers and on hover. */

export interface Bar {
  /** `YYYY-MM-DD HH:00:00.000Z` */
  date: string;
  total: number;
}

const WIDTH = 800;
const HEIGHT = 120;

function hourLabel(date: string): string {
  const d = new Date(date.replace(' ', 'T'));
  return Number.isNaN(d.getTime()) ? date : d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function BarChart(props: { bars: Bar[]; label: string }) {
  const { bars } = props;
  if (bars.length === 0 || bars.every((b) => b.total === 0)) return <p class="muted">No requests in this period.</p>;
  const max = Math.max(...bars.map((b) => b.total), 1);
  const step = WIDTH / bars.length;
  const barWidth = Math.max(1, step * 0.8);
  const total = bars.reduce((n, b) => n + b.total, 0);
  return (
    <figure class="pg-chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${props.label}: ${total.toLocaleString()} requests over ${bars.length} hours, at most ${max.toLocaleString()} in one hour`} preserveAspectRatio="none">
        <line x1="0" y1={HEIGHT} x2={WIDTH} y2={HEIGHT} class="pg-chart-axis" />
        {bars.map((b, i) => {
          if (b.total === 0) return null;
          const h = Math.max(1, (b.total / max) * (HEIGHT - 4));
          return (
            <rect x={i * step + (step - barWidth) / 2} y={HEIGHT - h} width={barWidth} height={h} class="pg-chart-bar">
              <title>{`${hourLabel(b.date)}: ${b.total.toLocaleString()}`}</title>
            </rect>
          );
        })}
      </svg>
      {/* Labels in HTML: the SVG stretches to the width, which would distort its text. */}
      <figcaption class="pg-chart-labels">
        <span>{hourLabel(bars[0].date)}</span>
        <span>max {max.toLocaleString()}/h</span>
        <span>{hourLabel(bars[bars.length - 1].date)}</span>
      </figcaption>
    </figure>
  );
}
