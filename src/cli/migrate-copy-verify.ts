/** Verifying a copy: every table read back on both ends and compared by row count and checksum. */
import { createHash } from 'node:crypto';
import type { Executor } from '../db/dialect.ts';
import type { Collection } from '../db/schema.ts';
import type { Plan } from './migrate-copy-plan.ts';
import { asError, countRows, DEFAULT_BATCH, forEachBatch, type TableSpec } from './migrate-copy-tables.ts';

export interface TableCheck {
  /** The table as shown, e.g. `posts`, `_logs`, `view1 (view)`. */
  label: string;
  kind: 'system' | 'collection' | 'view';
  /** Undefined where the view cannot be read (see `error`). */
  sourceRows?: number;
  /** Undefined where the view is missing on the target, or cannot be read there. */
  targetRows?: number;
  /** Why a view could not be read on one end. */
  error?: string;
  /** Hex digest; views are compared by row count only. */
  sourceChecksum?: string;
  targetChecksum?: string;
  ok: boolean;
}

/** Canonical JSON: object keys sorted at every level (JSONB and MySQL reorder them), numbers as JS numbers. */
function canonicalJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return JSON.stringify(Buffer.from(v).toString('base64'));
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && !Number.isFinite(v)) return JSON.stringify(String(v));
  return JSON.stringify(v);
}

const MOD = 1n << 256n;

/**
 * Row count and checksum of a table: the sum (mod 2^256) of each row's SHA-256 over its canonical
 * JSON, values normalised through the table's shape. A sum does not depend on the order rows come
 * back in, so databases that collate differently still agree.
 */
async function tableDigest(db: Executor, spec: TableSpec, batchSize = DEFAULT_BATCH): Promise<{ rows: number; checksum: string }> {
  let rows = 0;
  let sum = 0n;
  const columns = Object.keys(spec.shape);
  await forEachBatch(db, spec, batchSize, (batch) => {
    for (const r of batch) {
      const canonical = canonicalJson(Object.fromEntries(columns.map((c) => [c, r[c]])));
      sum = (sum + BigInt(`0x${createHash('sha256').update(canonical).digest('hex')}`)) % MOD;
      rows++;
    }
  });
  return { rows, checksum: sum.toString(16).padStart(64, '0') };
}

export async function verify(plan: Plan, failedViews: Map<Collection, Error>): Promise<TableCheck[]> {
  const { source, target, batchSize } = plan;
  const checks: TableCheck[] = [];
  const specs = [...plan.systemData, ...plan.tables.map((t) => t.spec), ...plan.systemAux];
  for (const spec of specs) {
    const s = await tableDigest(spec.aux ? source.dbs.aux : source.dbs.data, spec, batchSize);
    const t = await tableDigest(spec.aux ? target.dbs.aux : target.dbs.data, spec, batchSize);
    checks.push({
      label: spec.label,
      kind: spec.kind,
      sourceRows: s.rows,
      targetRows: t.rows,
      sourceChecksum: s.checksum,
      targetChecksum: t.checksum,
      ok: s.rows === t.rows && s.checksum === t.checksum,
    });
  }
  // A view is compared by its row count: its rows are computed by each database's own SQL.
  for (const v of plan.views) {
    const check: TableCheck = { label: `${v.name} (view)`, kind: 'view', ok: false };
    const count = (db: Executor, end: string) =>
      countRows(db, v.name).catch((e: unknown) => {
        // SQLite creates a view whose query names an unknown function; only reading it fails.
        check.error = `${end}: ${asError(e).message.split('\n')[0]}`;
        plan.log(`view ${v.name} cannot be read on the ${check.error}`);
        return undefined;
      });
    check.sourceRows = await count(source.dbs.data, 'source');
    if (!failedViews.has(v)) check.targetRows = await count(target.dbs.data, 'target');
    check.ok = check.targetRows !== undefined && check.sourceRows === check.targetRows;
    checks.push(check);
  }
  return checks;
}
