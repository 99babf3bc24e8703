import type { ColumnKind, ColumnSpec, Executor } from '../../db/dialect.ts';
import { ident, join, sql } from '../../db/sql.ts';
import { badRequest, fieldError, type ErrorData } from '../../kernel/errors.ts';
import { columnKindOf } from './fields/registry.ts';
import { indexColumnNames } from '../../db/indexes.ts';
import { parseIndex } from '../../db/indexes-parse.ts';
import { withSavepoint } from '../../db/system-tables.ts';
import type { Collection, FieldDef } from '../../db/schema.ts';

const specOf = (f: FieldDef): ColumnSpec => ({
  name: f.name,
  kind: (f.type === 'text' && f.primaryKey ? 'textPrimaryKey' : columnKindOf(f)) as ColumnKind,
});

async function dropIndexes(tx: Executor, c: Collection): Promise<void> {
  for (const s of c.indexes) {
    const parsed = parseIndex(s);
    if (!parsed) continue;
    for (const statement of tx.dialect.dropIndex(parsed, c.name)) await tx.run(statement);
  }
}

/** The kind of each column of the collection's table, by field name. */
export const columnKindsOf = (c: Collection): Record<string, ColumnKind> => Object.fromEntries(c.fields.map((f) => [f.name, specOf(f).kind]));

/**
 * Creates the collection's indexes. A statement the database refuses (a UNIQUE index over
 * duplicate values, an unknown function in an expression) is reported per index, as PocketBase
 * does, since it cannot be known before running it; the caller's transaction then rolls back.
 */
async function createIndexes(tx: Executor, c: Collection, table = c.name): Promise<void> {
  const errors: ErrorData = {};
  const kinds = columnKindsOf(c);
  for (const [i, s] of c.indexes.entries()) {
    const parsed = parseIndex(s);
    if (!parsed) continue;
    const create = async () => {
      for (const statement of tx.dialect.createIndex(parsed, table, kinds)) await tx.run(statement);
    };
    try {
      // Validated when the collection was saved; rendered by the dialect from the parsed parts only.
      // Inside a transaction a savepoint lets the next index be tried after a failure (PostgreSQL
      // would otherwise abort the transaction); without transactional DDL there is none to keep.
      if (tx.dialect.caps.transactionalDdl) await withSavepoint(tx, 'baton_index', create);
      else await create();
    } catch (e) {
      const info = tx.dialect.classifyError(e);
      // Duplicates are worded alike on every database (SQLite's words, which PocketBase shows).
      const reason = info?.kind === 'unique'
        ? `UNIQUE constraint failed: ${(info.columns?.length ? info.columns : indexColumnNames(parsed)).map((col) => `${c.name}.${col}`).join(', ')}`
        : (e instanceof Error ? e.message : String(e)).replace(/\.$/, '');
      errors[String(i)] = fieldError('validation_invalid_index_expression', `Failed to create index ${parsed.name} - ${reason}.`);
    }
  }
  if (Object.keys(errors).length) throw badRequest('Failed to save collection.', { indexes: errors });
}

/**
 * Brings the record table in line with `next`, given the collection as it was (`prev`, absent for
 * a new one). Fields are matched by id, so a renamed field keeps its data. Runs inside the
 * caller's transaction: SQLite and PostgreSQL roll the DDL back with the `_collections` row.
 */
export async function syncRecordTable(tx: Executor, next: Collection, prev?: Collection): Promise<void> {
  const d = tx.dialect;
  if (!prev) {
    await tx.run(d.createTable(next.name, next.fields.map(specOf)));
    await createIndexes(tx, next);
    return;
  }
  await dropIndexes(tx, prev);
  if (prev.name.toLowerCase() === next.name.toLowerCase() && prev.name !== next.name) {
    // Table names are case-insensitive: a rename that only changes case goes through a temporary name.
    await tx.run(d.renameTable(prev.name, `_tmp_${next.id}`));
    await tx.run(d.renameTable(`_tmp_${next.id}`, next.name));
  } else if (prev.name !== next.name) {
    await tx.run(d.renameTable(prev.name, next.name));
  }
  const table = next.name;
  const nextById = new Map(next.fields.map((f) => [f.id, f]));
  const prevById = new Map(prev.fields.map((f) => [f.id, f]));

  for (const f of prev.fields) {
    if (!nextById.has(f.id)) await tx.run(d.dropColumn(table, f.name));
  }
  // Renames go through temporary names so that swapping two names cannot collide.
  const renamed = next.fields.filter((f) => prevById.has(f.id) && prevById.get(f.id)!.name !== f.name);
  for (const f of renamed) await tx.run(d.renameColumn(table, prevById.get(f.id)!.name, `_tmp_${f.id}`));
  for (const f of renamed) await tx.run(d.renameColumn(table, `_tmp_${f.id}`, f.name));

  for (const f of next.fields) {
    const old = prevById.get(f.id);
    if (!old) {
      await tx.run(d.addColumn(table, specOf(f)));
    } else if (specOf(old).kind !== specOf(f).kind) {
      // A changed storage kind: copy the values, converted, into a column of the new kind.
      const tmp = `_new_${f.id}`;
      await tx.run(d.addColumn(table, { ...specOf(f), name: tmp }));
      await tx.run(sql`UPDATE ${ident(table)} SET ${ident(tmp)} = ${d.convertColumn(sql`${ident(f.name)}`, specOf(old).kind, specOf(f).kind)}`);
      await tx.run(d.dropColumn(table, f.name));
      await tx.run(d.renameColumn(table, tmp, f.name));
    }
  }
  await createIndexes(tx, next);
}

/**
 * Builds the table `next` will have under the name `table`, with the rows of `prev`'s table
 * (matched by field id, converted where a column changes kind) and `next`'s indexes. For
 * databases whose DDL cannot roll back: the live table is untouched until the caller swaps.
 */
export async function buildShadowTable(tx: Executor, table: string, next: Collection, prev?: Collection): Promise<void> {
  const d = tx.dialect;
  await tx.run(d.dropTable(table));
  await tx.run(d.createTable(table, next.fields.map(specOf)));
  if (prev) {
    const prevById = new Map(prev.fields.map((f) => [f.id, f]));
    const copied = next.fields.filter((f) => prevById.has(f.id));
    if (copied.length) {
      const source = copied.map((f) => {
        const old = prevById.get(f.id)!;
        const from = sql`${ident(old.name)}`;
        return specOf(old).kind === specOf(f).kind ? from : d.convertColumn(from, specOf(old).kind, specOf(f).kind);
      });
      await tx.run(sql`INSERT INTO ${ident(table)} (${join(copied.map((f) => ident(f.name)))}) SELECT ${join(source)} FROM ${ident(prev.name)}`);
    }
  }
  await createIndexes(tx, next, table);
}

export async function dropRecordTable(tx: Executor, c: Collection): Promise<void> {
  if (c.type === 'view') await tx.run(tx.dialect.dropView(c.name));
  else await tx.run(tx.dialect.dropTable(c.name));
}
