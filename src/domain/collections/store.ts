import type { Executor } from '../../db/dialect.ts';
import { sql } from '../../db/sql.ts';
import type { Collection, CollectionType, SchemaLookup } from '../../db/schema.ts';

interface CollectionRow {
  id: string;
  system: number | boolean;
  type: string;
  name: string;
  fields: string;
  listRule: string | null;
  viewRule: string | null;
  createRule: string | null;
  updateRule: string | null;
  deleteRule: string | null;
  options: string;
  created: string;
  updated: string;
  indexes: string;
}

const parseJson = <T>(text: string | null | undefined, fallback: T): T => {
  if (!text) return fallback;
  try {
    return (JSON.parse(text) as T) ?? fallback;
  } catch {
    return fallback;
  }
};

export function collectionFromRow(row: CollectionRow): Collection {
  return {
    id: row.id,
    name: row.name,
    type: row.type as CollectionType,
    system: Boolean(row.system),
    fields: parseJson(row.fields, []),
    indexes: parseJson(row.indexes, []),
    listRule: row.listRule,
    viewRule: row.viewRule,
    createRule: row.createRule,
    updateRule: row.updateRule,
    deleteRule: row.deleteRule,
    created: row.created,
    updated: row.updated,
    options: parseJson(row.options, {}),
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
    const rows = await db.all<CollectionRow>(sql`SELECT * FROM _collections ORDER BY created, id`);
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
