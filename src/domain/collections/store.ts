import type { Executor, RowShape } from '../../db/dialect.ts';
import { sql } from '../../db/sql.ts';
import type { Collection, CollectionType, SchemaLookup } from '../../db/schema.ts';

/** `_collections` rows come back with their JSON columns parsed and `system` as a boolean. */
export const COLLECTION_ROW_SHAPE: RowShape = Object.freeze({ system: 'bool', fields: 'json', indexes: 'json', options: 'json' });

interface CollectionRow {
  id: string;
  system: boolean;
  type: string;
  name: string;
  fields: unknown;
  listRule: string | null;
  viewRule: string | null;
  createRule: string | null;
  updateRule: string | null;
  deleteRule: string | null;
  options: unknown;
  created: string;
  updated: string;
  indexes: unknown;
}

/** A JSON column's value when it has the expected shape (a list or an object), else the fallback. */
const jsonOr = <T extends object>(v: unknown, fallback: T): T =>
  v !== null && typeof v === 'object' && Array.isArray(v) === Array.isArray(fallback) ? (v as T) : fallback;

export function collectionFromRow(row: CollectionRow): Collection {
  return {
    id: row.id,
    name: row.name,
    type: row.type as CollectionType,
    system: Boolean(row.system),
    fields: jsonOr(row.fields, []),
    indexes: jsonOr(row.indexes, []),
    listRule: row.listRule,
    viewRule: row.viewRule,
    createRule: row.createRule,
    updateRule: row.updateRule,
    deleteRule: row.deleteRule,
    created: row.created,
    updated: row.updated,
    options: jsonOr(row.options, {}),
  };
}

/** The `_collections` row for a collection, JSON columns encoded as PocketBase stores them. */
export function collectionToRow(c: Collection): Record<string, unknown> {
  return {
    id: c.id,
    system: c.system,
    type: c.type,
    name: c.name,
    fields: JSON.stringify(c.fields),
    listRule: c.listRule,
    viewRule: c.viewRule,
    createRule: c.createRule,
    updateRule: c.updateRule,
    deleteRule: c.deleteRule,
    options: JSON.stringify(c.options),
    created: c.created,
    updated: c.updated,
    indexes: JSON.stringify(c.indexes),
  };
}

const deepFreeze = <T>(o: T): T => {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
};

/**
 * The schema cache: every collection, loaded once and reloaded after each schema change.
 * Collections handed out are frozen: a service that changes one clones it first.
 */
export class CollectionStore implements SchemaLookup {
  private byId = new Map<string, Collection>();
  private byName = new Map<string, Collection>();
  private list: Collection[] = [];
  private listeners: Array<() => void> = [];

  async load(db: Executor): Promise<void> {
    const rows = await db.all<CollectionRow>(sql`SELECT * FROM _collections ORDER BY created, id`, COLLECTION_ROW_SHAPE);
    this.replace(rows.map(collectionFromRow));
  }

  replace(collections: Collection[]): void {
    this.list = collections.map(deepFreeze);
    this.byId = new Map(this.list.map((c) => [c.id, c]));
    this.byName = new Map(this.list.map((c) => [c.name.toLowerCase(), c]));
    for (const l of this.listeners) l();
  }

  /** Runs `listener` after every reload, e.g. to drop caches derived from the schema. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  find(idOrName: string): Collection | undefined {
    return this.byId.get(idOrName) ?? this.byName.get(idOrName.toLowerCase());
  }

  all(): readonly Collection[] {
    return this.list;
  }
}

/** A SchemaLookup over a fixed list, e.g. the schema as it will be after a pending change. */
export class SchemaSnapshot implements SchemaLookup {
  constructor(private readonly list: readonly Collection[]) {}

  find(idOrName: string): Collection | undefined {
    return this.list.find((c) => c.id === idOrName) ?? this.list.find((c) => c.name.toLowerCase() === idOrName.toLowerCase());
  }

  all(): readonly Collection[] {
    return this.list;
  }
}
