/**
 * The request logs: hourly counts as a bar chart (GET /api/logs/stats), a server-side paged list
 * filtered in the filter language (GET /api/logs), and one entry in full (GET /api/logs/{id}).
 */
import type { ListResult, LogModel } from 'pocketbase';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage, pb } from '../client.ts';
import { Button, ErrorText, Modal, Spinner } from '../ui.tsx';
import { BarChart, type Bar } from './parts/bar-chart.tsx';
import { displayDate } from './parts/dates.ts';
import { FilterBar, Pager } from './parts/widgets.tsx';
import './pages.css';

const LEVELS: Record<number, string> = { [-4]: 'DEBUG', 0: 'INFO', 4: 'WARN', 8: 'ERROR' };
/** The SDK types `level` as a string; the server sends slog's number. */
const levelName = (level: number | string) => LEVELS[Number(level)] ?? String(level);

/** Hours of history the chart covers. */
const CHART_HOURS = 24;

/** One bar per hour of the window, zero where the server reported none (it lists only hours with entries). */
function hourlyBars(stats: Bar[], now: number): Bar[] {
  const byHour = new Map(stats.map((s) => [s.date.slice(0, 13), s.total]));
  const lastHour = Math.floor(now / 3600_000) * 3600_000;
  return Array.from({ length: CHART_HOURS }, (_, i) => {
    const date = new Date(lastHour - (CHART_HOURS - 1 - i) * 3600_000).toISOString().replace('T', ' ');
    return { date, total: byHour.get(date.slice(0, 13)) ?? 0 };
  });
}

export function LogsPage() {
  const [filterDraft, setFilterDraft] = useState('');
  const [filter, setFilter] = useState('');
  const [page, setPage] = useState(1);
  const [perPage, setPerPage] = useState(50);
  const [result, setResult] = useState<ListResult<LogModel> | null>(null);
  const [stats, setStats] = useState<Bar[] | null>(null);
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(false);
  const [reload, setReload] = useState(0);
  const [open, setOpen] = useState<string | null>(null);
  const seq = useRef(0);

  useEffect(() => {
    const mine = ++seq.current;
    setLoading(true);
    const since = new Date(Math.floor(Date.now() / 3600_000 - (CHART_HOURS - 1)) * 3600_000).toISOString().replace('T', ' ');
    const statsFilter = pb.filter('created >= {:since}', { since }) + (filter ? ` && (${filter})` : '');
    Promise.all([pb.logs.getList(page, perPage, { filter: filter || undefined, sort: '-created' }), pb.logs.getStats({ filter: statsFilter })])
      .then(
        ([list, hours]) => {
          if (mine !== seq.current) return;
          setResult(list);
          setStats(hourlyBars(hours, Date.now()));
          setError('');
        },
        (e) => {
          if (mine !== seq.current) return;
          setError(errorMessage(e));
          setResult(null);
        },
      )
      .finally(() => mine === seq.current && setLoading(false));
  }, [filter, page, perPage, reload]);

  const items = result?.items ?? [];
  return (
    <section class="pg-logs">
      <header class="page-header">
        <h1>Logs</h1>
        <Button kind="secondary" busy={loading} onClick={() => setReload((n) => n + 1)}>
          Refresh
        </Button>
      </header>

      <FilterBar
        id="logs"
        placeholder='Filter, e.g. level > 0 || data.status >= 400 || data.url ~ "/api/"'
        draft={filterDraft}
        applied={filter}
        error={error}
        onDraft={setFilterDraft}
        onApply={(next) => {
          setPage(1);
          setFilter(next);
          setReload((n) => n + 1);
        }}
      />

      <div class="panel">
        <h2 class="pg-h3">Requests per hour, last {CHART_HOURS} hours</h2>
        {stats ? <BarChart bars={stats} label="Requests per hour" /> : <Spinner label="Loading chart" />}
      </div>

      <div class="table-wrap">
        <table class="grid pg-table pg-logs-table" aria-busy={loading}>
          <caption class="pg-sr-only">Log entries, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Level</th>
              <th scope="col">Status</th>
              <th scope="col">Message</th>
              <th scope="col">Duration</th>
              <th scope="col">Created (local time)</th>
            </tr>
          </thead>
          <tbody>
            {items.map((log) => {
              const data = (log.data ?? {}) as Record<string, unknown>;
              return (
                <tr>
                  <td>
                    <span class={`pg-level pg-level-${levelName(log.level).toLowerCase()}`}>{levelName(log.level)}</span>
                  </td>
                  <td>{data.status !== undefined ? String(data.status) : ''}</td>
                  <td class="pg-message">
                    <button type="button" class="pg-link mono" onClick={() => setOpen(log.id)} aria-label={`Details of ${log.message}`}>
                      {log.message}
                    </button>
                  </td>
                  <td>{typeof data.execTime === 'number' ? `${data.execTime.toFixed(1)} ms` : ''}</td>
                  <td class="pg-nowrap">{displayDate(log.created)}</td>
                </tr>
              );
            })}
            {result && items.length === 0 && (
              <tr>
                <td colSpan={5} class="muted">
                  No log entries{filter ? ' match this filter' : ''}.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {result && (
        <Pager
          label="Logs"
          page={result.page}
          perPage={perPage}
          totalItems={result.totalItems}
          totalPages={result.totalPages}
          onPage={setPage}
          onPerPage={(n) => {
            setPerPage(n);
            setPage(1);
          }}
        />
      )}
      {open && <LogDetail id={open} onClose={() => setOpen(null)} />}
    </section>
  );
}

function LogDetail(props: { id: string; onClose(): void }) {
  const [log, setLog] = useState<LogModel | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    pb.logs.getOne(props.id).then(setLog, (e) => setError(errorMessage(e)));
  }, [props.id]);
  return (
    <Modal wide title="Log entry" onClose={props.onClose}>
      <ErrorText error={error} />
      {!log && !error && <Spinner />}
      {log && (
        <>
          <dl class="pg-dl">
            <dt>id</dt>
            <dd class="mono">{log.id}</dd>
            <dt>Level</dt>
            <dd>{levelName(log.level)}</dd>
            <dt>Created</dt>
            <dd>
              {displayDate(log.created)} <span class="muted">({log.created} UTC)</span>
            </dd>
            <dt>Message</dt>
            <dd class="mono">{log.message}</dd>
            {Object.entries(log.data ?? {}).map(([k, v]) => (
              <>
                <dt>{k}</dt>
                <dd class="mono">{typeof v === 'object' && v !== null ? <pre>{JSON.stringify(v, null, 2)}</pre> : String(v)}</dd>
              </>
            ))}
          </dl>
        </>
      )}
    </Modal>
  );
}
