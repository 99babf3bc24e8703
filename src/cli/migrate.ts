/** `baton migrate …`: moving a Baton between databases. The work is in `migrate-copy*.ts`. */
import { MIGRATE_USAGE } from './migrate-usage.ts';
import path from 'node:path';
import { databaseKind } from '../db/open.ts';
import type { CopyEnd } from './migrate-copy-ends.ts';
import type { ProgressSink } from './migrate-copy-plan.ts';
import { CopyError } from './migrate-copy-tables.ts';
import type { TableCheck } from './migrate-copy-verify.ts';
import { copyBaton, type CopyReport } from './migrate-copy.ts';



function endOf(value: string): CopyEnd {
  if (databaseKind(value) || /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return { url: value };
  return { dir: path.resolve(value) };
}

/** A progress bar redrawn in place with `\r`, for a terminal. */
function progressBar(out: NodeJS.WriteStream): ProgressSink {
  return (table, done, total, finished) => {
    const counts = `${done}/${total} rows`;
    const width = Math.max(10, Math.min(40, (out.columns ?? 80) - table.length - counts.length - 6));
    const filled = Math.round((total ? Math.min(1, done / total) : 1) * width);
    out.write(`\r${table} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${counts}\x1b[K${finished ? '\n' : ''}`);
  };
}

/** The verification table, one line per table. */
export function formatChecks(checks: readonly TableCheck[]): string[] {
  const header = ['table', 'source rows', 'target rows', 'checksum', 'result'];
  const short = (c?: string) => (c ? c.slice(0, 16) : '');
  const rows = checks.map((c) => [
    c.label,
    c.sourceRows === undefined ? 'unreadable' : String(c.sourceRows),
    c.targetRows !== undefined ? String(c.targetRows) : c.error?.startsWith('target') ? 'unreadable' : 'missing',
    c.kind === 'view' ? '(rows only)' : c.sourceChecksum === c.targetChecksum ? short(c.sourceChecksum) : `${short(c.sourceChecksum)} != ${short(c.targetChecksum)}`,
    c.ok ? 'ok' : 'DIFFERS',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 1 || i === 2 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

function printReport(report: CopyReport): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out('verification (row counts; checksum: sum of the SHA-256 of each row as canonical JSON):');
  for (const line of formatChecks(report.tables)) out(line);
  out(report.ok ? 'copy verified: every table matches' : 'copy NOT verified: see the rows marked DIFFERS or missing above');
}

export async function migrateCommand(args: readonly string[], flags: { from?: string; to?: string; force?: boolean }): Promise<number> {
  const [sub, ...extra] = args;
  if (sub === 'help' || sub === undefined) {
    process.stdout.write(MIGRATE_USAGE);
    return sub === 'help' ? 0 : 2;
  }
  if (sub !== 'copy' || extra.length) {
    process.stderr.write(`unknown migrate command "${args.join(' ')}"\n\n${MIGRATE_USAGE}`);
    return 2;
  }
  if (!flags.from || !flags.to) {
    process.stderr.write(`migrate copy needs --from and --to\n\n${MIGRATE_USAGE}`);
    return 2;
  }
  // Ctrl-C or SIGTERM stops the copy after the batch under way, as a failed copy: rolled back (or
  // marked unfinished on MySQL), and a target directory it made removed. A second one stops at once.
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupt.signal.aborted) process.exit(signalExitCode(signal));
    process.stderr.write(`\n${signal}: stopping the copy (again to stop at once)\n`);
    interrupt.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const report = await copyBaton({
      from: endOf(flags.from),
      to: endOf(flags.to),
      force: flags.force,
      log: (line) => process.stdout.write(`${line}\n`),
      progress: process.stdout.isTTY ? progressBar(process.stdout) : undefined,
      signal: interrupt.signal,
    });
    printReport(report);
    return report.ok ? 0 : 1;
  } catch (e) {
    if (e instanceof CopyError) {
      process.stderr.write(`error: ${e.message}\n`);
      return interrupt.signal.aborted ? signalExitCode(interrupt.signal.reason as NodeJS.Signals) : 1;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** A shell's exit code for a process a signal stopped: 128 + its number. */
const signalExitCode = (signal: NodeJS.Signals): number => (signal === 'SIGINT' ? 130 : 143);
