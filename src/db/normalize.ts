import type { RowShape, ValueType } from './dialect.ts';

/**
 * Row normalisation shared by the databases (Kysely's result plugins, in spirit): each database
 * says how its driver hands back JSON, and rows leave `db/` with the value types their shape names.
 */

/** JSON column text to a value; text that is not JSON (legacy or hand-written rows) stays a string. */
export function parseJsonColumn(v: unknown): unknown {
  if (typeof v !== 'string') return v instanceof Uint8Array ? parseJsonColumn(Buffer.from(v).toString('utf8')) : v;
  if (v === '') return '';
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

const toBool = (v: unknown): unknown => {
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'string') return v === '1' || v.toLowerCase() === 'true' || v === 't';
  return v;
};

const toNumber = (v: unknown): unknown => {
  if (typeof v === 'number' || v === null || v === undefined) return v;
  if (typeof v === 'bigint' || typeof v === 'string') {
    const n = Number(v);
    return Number.isNaN(n) ? v : n;
  }
  return v;
};

const toText = (v: unknown): unknown => {
  if (typeof v === 'string' || v === null || v === undefined) return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return String(v);
};

/** Builds the normaliser of one shape; `jsonAsText`: the driver returns JSON columns as text. */
export function shapeNormalizer(shape: RowShape, jsonAsText: boolean): (row: Record<string, unknown>) => Record<string, unknown> {
  const steps: Array<[string, (v: unknown) => unknown]> = [];
  for (const [column, type] of Object.entries(shape)) {
    const fn = converter(type, jsonAsText);
    if (fn) steps.push([column, fn]);
  }
  return (row) => {
    for (const [column, fn] of steps) if (Object.hasOwn(row, column)) row[column] = fn(row[column]);
    return row;
  };
}

/** The conversion a column of `type` needs, if any; `jsonAsText`: the driver returns JSON columns as text. */
export function converter(type: ValueType, jsonAsText: boolean): ((v: unknown) => unknown) | undefined {
  switch (type) {
    case 'json': return jsonAsText ? parseJsonColumn : undefined;
    case 'bool': return toBool;
    case 'number': return toNumber;
    case 'text': return toText;
  }
}

/** Normalisers are cached per shape object (shapes are built once per collection or query site). */
export class NormalizerCache {
  private readonly cache = new WeakMap<RowShape, (row: Record<string, unknown>) => Record<string, unknown>>();
  constructor(private readonly jsonAsText: boolean) {}

  rows<T>(rows: Record<string, unknown>[], shape: RowShape | undefined): T[] {
    if (!shape) return rows as T[];
    const fn = this.of(shape);
    for (const r of rows) fn(r);
    return rows as T[];
  }

  row<T>(row: Record<string, unknown> | undefined, shape: RowShape | undefined): T | undefined {
    return (row && shape ? this.of(shape)(row) : row) as T | undefined;
  }

  private of(shape: RowShape) {
    let fn = this.cache.get(shape);
    if (!fn) {
      fn = shapeNormalizer(shape, this.jsonAsText);
      this.cache.set(shape, fn);
    }
    return fn;
  }
}
