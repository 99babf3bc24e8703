/**
 * A records list page is weighed before anything in it is parsed, and decoded in slices. Its
 * weight is the size of the values it reads that can be large (text, editor, JSON, multi-value).
 * A page whose fields' own limits would let it pass the response byte limit is weighed by the
 * database first (`Dialect.storedBytes`, summed over the page without sending a value); any page
 * is weighed again once read, by the length of those values' text, before a value is parsed. Past
 * the limit, it is refused with that limit's 400 (340 records of 180 KB JSON values each were read
 * and parsed whole before, 3.3 s of a held loop and 1.5 GB, only for the body to be refused
 * after). A page within it is parsed and decoded in slices of about 256 KB, the event loop free
 * between two.
 */
import type { Dialect, RowShape, ValueType } from '../../db/dialect.ts';
import { parseJsonColumn } from '../../db/normalize.ts';
import { fieldValueType, isMultiValue, type Collection, type FieldDef } from '../../db/schema.ts';
import { ident, join, raw, render, sql, type Sql } from '../../db/sql.ts';
import { editorMaxSize } from '../collections/fields/editor.ts';
import { jsonMaxSize } from '../collections/fields/json.ts';
import { DEFAULT_TEXT_MAX } from '../collections/fields/text.ts';
import { decodeRow, planOf, type RecordData } from './codec.ts';

/** Bytes of values decoded between two turns of the event loop: 1-3 ms of parsing and decoding. */
export const SLICE_BYTES = 256 * 1024;
/** What a row costs beyond its weighed values (its other columns, the record object). */
const ROW_OVERHEAD_BYTES = 256;
/** Assumed for one item of a multi-value field (an id, a file name, a select value). */
const VALUE_BYTES = 2048;

export interface PagePlan {
  /** The fields the page reads (`listColumns`). */
  readonly columns: ReadonlySet<string>;
  /** The select list: those columns, JSON ones as text. */
  readonly select: Sql;
  /** The columns a row is weighed by (`canBeLarge`). */
  readonly weighed: readonly string[];
  /** The weight of a row in SQL: the bytes of those columns' values; undefined when there are none. */
  readonly rowBytes: Sql | undefined;
  /** The most a row can weigh under its fields' own limits (a view's: as its fields say too). */
  readonly rowBound: number;
  /** How the rows come back: JSON columns left as text. */
  readonly shape: RowShape;
  /** The columns to parse as JSON, a slice at a time. */
  readonly json: readonly string[];
}

/** Plans kept per collection: one per column list, a few dozen at most (`fields` is the client's). */
const plans = new WeakMap<Collection, Map<string, PagePlan>>();
const MAX_PLANS_PER_COLLECTION = 32;
const plansBySet = new WeakMap<ReadonlySet<string>, { dialect: Dialect; plan: PagePlan }>();

/** The plan of a page reading `columns`, made once per collection and column list. */
export function pagePlan(dialect: Dialect, collection: Collection, columns: ReadonlySet<string>): PagePlan {
  // The usual list reads a column set made once (`listColumns`): found by identity, no key to build.
  const known = plansBySet.get(columns);
  if (known?.dialect === dialect) return known.plan;
  let cached = plans.get(collection);
  if (!cached) plans.set(collection, (cached = new Map()));
  const key = `${dialect.name}:${[...columns].join(',')}`;
  let plan = cached.get(key);
  if (!plan) {
    if (cached.size >= MAX_PLANS_PER_COLLECTION) cached.clear();
    plan = makePlan(dialect, collection, columns);
    cached.set(key, plan);
  }
  plansBySet.set(columns, { dialect, plan });
  return plan;
}

function makePlan(dialect: Dialect, collection: Collection, columns: ReadonlySet<string>): PagePlan {
  const { fields, shape: rowShape } = planOf(collection);
  const table = collection.name;
  const select: Sql[] = [];
  const weighed: string[] = [];
  const bytes: Sql[] = [];
  const json: string[] = [];
  let rowBound = 0;
  for (const { def } of fields) {
    if (!columns.has(def.name)) continue;
    const column = sql`${ident(table, def.name)}`;
    const type = rowShape[def.name] ?? 'text';
    select.push(type === 'json' ? sql`${dialect.jsonAsText(column)} AS ${ident(def.name)}` : column);
    if (type === 'json') json.push(def.name);
    if (canBeLarge(collection, def)) {
      weighed.push(def.name);
      bytes.push(dialect.storedBytes(column, type));
      rowBound += valueBound(def);
    }
  }
  return {
    columns,
    select: constant(dialect, join(select)),
    weighed,
    rowBytes: bytes.length ? constant(dialect, sql`(${join(bytes, ' + ')})`) : undefined,
    rowBound,
    shape: pageShape(collection),
    json,
  };
}

/** A fragment without values rendered once, so each list does not render its parts again. */
function constant(dialect: Dialect, fragment: Sql): Sql {
  const rendered = render(fragment, dialect);
  if (rendered.params.length || rendered.guarded || rendered.offLoop) throw new TypeError('a list\'s columns are plain SQL');
  return raw(rendered.text);
}

/**
 * The fields whose values can be large, which a page is weighed by: text, editor, JSON and
 * multi-value fields, and a view's JSON columns (its expressions). The others hold a few dozen
 * bytes (numbers, dates, one id or file name, an email): measuring them would cost every list
 * for nothing.
 */
function canBeLarge(collection: Collection, def: FieldDef): boolean {
  if (def.name === 'id') return false;
  return def.type === 'text' || def.type === 'editor' || def.type === 'json' || isMultiValue(def) || (collection.type === 'view' && fieldValueType(def) === 'json');
}

/** The most bytes a field's stored value can hold when it was written through the API. */
function valueBound(def: FieldDef): number {
  switch (def.type) {
    case 'text': return (typeof def.max === 'number' && def.max > 0 ? def.max : DEFAULT_TEXT_MAX) * 4;
    case 'editor': return editorMaxSize(def);
    case 'json': return jsonMaxSize(def);
    default: return isMultiValue(def) ? (def.maxSelect as number) * VALUE_BYTES : Infinity;
  }
}

const pageShapes = new WeakMap<Collection, RowShape>();

function pageShape(collection: Collection): RowShape {
  let shape = pageShapes.get(collection);
  if (!shape) {
    const typed: Record<string, ValueType> = {};
    for (const [column, type] of Object.entries(planOf(collection).shape)) if (type !== 'json') typed[column] = type;
    shape = Object.freeze(typed);
    pageShapes.set(collection, shape);
  }
  return shape;
}

/**
 * What a row read weighs before anything in it is parsed: the length of its weighed values' text
 * (JSON included, read as text). A length in UTF-16 units is never more than the UTF-8 bytes, nor
 * than the JSON sent for a text, or for a JSON value whose text is compact (as Baton writes it;
 * PostgreSQL's jsonb text is not: RecordService.list weighs it by the database's sum instead).
 */
function rowWeight(plan: PagePlan, row: Record<string, unknown>): number {
  let weight = 0;
  for (const name of plan.weighed) {
    const v = row[name];
    if (typeof v === 'string') weight += v.length;
  }
  return weight;
}

/** The weight of the rows read, as `rowWeight`. */
export function pageWeight(plan: PagePlan, rows: ReadonlyArray<Record<string, unknown>>): number {
  let weight = 0;
  for (const row of rows) weight += rowWeight(plan, row);
  return weight;
}

/**
 * Parses and decodes the page's rows (`weight`: `pageWeight`'s), giving the event loop a turn after
 * every `SLICE_BYTES`; a page lighter than one slice (the usual one) in one go, with no turn.
 */
export function decodePage(collection: Collection, plan: PagePlan, rows: Array<Record<string, unknown>>, weight: number): RecordData[] | Promise<RecordData[]> {
  if (weight + rows.length * ROW_OVERHEAD_BYTES <= SLICE_BYTES) return rows.map((row) => decodePageRow(collection, plan, row));
  return decodeSliced(collection, plan, rows);
}

function decodePageRow(collection: Collection, plan: PagePlan, row: Record<string, unknown>): RecordData {
  for (const name of plan.json) row[name] = parseJsonColumn(row[name]);
  return decodeRow(collection, row, plan.columns);
}

async function decodeSliced(collection: Collection, plan: PagePlan, rows: Array<Record<string, unknown>>): Promise<RecordData[]> {
  const records: RecordData[] = new Array(rows.length);
  let slice = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    slice += rowWeight(plan, row) + ROW_OVERHEAD_BYTES;
    records[i] = decodePageRow(collection, plan, row);
    if (slice >= SLICE_BYTES && i + 1 < rows.length) {
      slice = 0;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return records;
}
