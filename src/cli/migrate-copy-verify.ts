/** Verifying a copy: every table read back on both ends and compared by row count and checksum. */
import { createHash } from 'node:crypto';
import type { Executor, ValueType } from '../db/dialect.ts';
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

/** The spellings of a boolean that read back as that boolean (db/normalize.ts's toBool). */
const TRUE_TEXT = /^(1|t|true)$/i;
const FALSE_TEXT = /^(0|f|false)$/i;

/**
 * A value read as stored (`caps.anyTypeInColumns`) in the form a typed database's value of the
 * same meaning has, so both ends compare: JSON text as its canonical JSON, 0/1 as booleans. A
 * value with no such form (text that is not JSON in a JSON column, '' in a number column, 'yes'
 * in a boolean one) is tagged with a leading `!`, which no canonical JSON starts with: a copy
 * that changed it (to a JSON string, 0, false) no longer matches.
 */
function canonicalStored(v: unknown, type: ValueType): string {
  if (v === null || v === undefined) return 'null';
  const tagged = (x: unknown) => `!${canonicalJson(x)}`;
  const text = v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v;
  switch (type) {
    case 'json':
      if (typeof text !== 'string') return canonicalJson(text);
      try {
        return canonicalJson(JSON.parse(text));
      } catch {
        return tagged(text);
      }
    case 'number':
      return typeof text === 'number' || typeof text === 'bigint' ? canonicalJson(text) : tagged(text);
    case 'bool':
      if (typeof text === 'number' || typeof text === 'bigint') return canonicalJson(Number(text) !== 0);
      if (typeof text === 'string' && TRUE_TEXT.test(text)) return 'true';
      if (typeof text === 'string' && FALSE_TEXT.test(text)) return 'false';
      return tagged(text);
    default:
      return canonicalJson(typeof text === 'number' || typeof text === 'bigint' ? String(text) : text);
  }
}

const MOD = 1n << 256n;

/**
 * Row count and checksum of a table: the sum (mod 2^256) of each row's SHA-256 over its canonical
 * JSON: values normalised through the table's shape, or, read as stored, in the same form where
 * they have one (`canonicalStored`), so a value the copy changed is caught. A sum does not depend on the order rows come
 * back in, so databases that collate differently still agree.
 */
async function tableDigest(db: Executor, spec: TableSpec, batchSize = DEFAULT_BATCH): Promise<{ rows: number; checksum: string }> {
  let rows = 0;
  let sum = 0n;
  const columns = Object.keys(spec.shape).sort();
  const stored = db.dialect.caps.anyTypeInColumns;
  await forEachBatch(db, spec, batchSize, (batch) => {
    for (const r of batch) {
      const canonical = `{${columns
        .map((c) => `${JSON.stringify(c)}:${stored ? canonicalStored(r[c], spec.shape[c]) : canonicalJson(r[c])}`)
        .join(',')}}`;
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
