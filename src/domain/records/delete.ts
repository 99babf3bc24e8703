import type { Executor } from '../../db/dialect.ts';
import { ident, sql } from '../../db/sql.ts';
import { badRequest } from '../../kernel/errors.ts';
import { isMultiValue, type Collection, type FieldDef, type SchemaLookup } from '../../db/schema.ts';
import type { RecordChange } from './changes.ts';
import { decodeRow, rowShape } from './codec.ts';

const MAX_CASCADE_DEPTH = 64;

export const deleteRefError = () =>
  badRequest('Failed to delete record. Make sure that the record is not part of a required relation reference.');

/** Relation fields, in any collection, that point at `collection`. */
function referencesTo(schema: SchemaLookup, collection: Collection): Array<{ source: Collection; field: FieldDef }> {
  const refs: Array<{ source: Collection; field: FieldDef }> = [];
  for (const source of schema.all()) {
    if (source.type === 'view') continue;
    for (const field of source.fields) {
      if (field.type === 'relation' && field.collectionId === collection.id) refs.push({ source, field });
    }
  }
  return refs;
}

/**
 * The system tables whose rows belong to an auth record through `collectionRef` and `recordRef`
 * (PocketBase's record proxies: OTPs, MFA sessions, OAuth2 links, sign-in origins).
 */
const AUTH_REF_TABLES = ['_otps', '_mfas', '_externalAuths', '_authOrigins'];

/**
 * Deletes, inside `tx`, the system rows that belong to an auth record (`recordId`), or to every
 * record of an auth collection, as PocketBase's record-ref hooks do with the record or the
 * collection. A row left behind outlives what it was for: an OAuth2 link would sign a later
 * record that reuses the id into the old account's provider identity, and keep the provider's
 * account from ever signing up again.
 */
export async function deleteAuthRefs(tx: Executor, collection: Collection, recordId?: string): Promise<void> {
  if (collection.type !== 'auth') return;
  for (const table of AUTH_REF_TABLES) await deleteRefRows(tx, table, collection, recordId);
}

/** The rows of one of those tables that belong to the record (or, without `recordId`, to the collection). */
export async function deleteRefRows(tx: Executor, table: string, collection: Collection, recordId?: string): Promise<void> {
  const record = recordId === undefined ? sql`` : sql` AND ${ident('recordRef')} = ${recordId}`;
  await tx.run(sql`DELETE FROM ${ident(table)} WHERE ${ident('collectionRef')} = ${collection.id}${record}`);
}

/**
 * Deletes a record inside `tx` and resolves references to it, as PocketBase does: the id is
 * removed from every relation holding it; a relation left empty deletes its record when the field
 * cascades, and fails the whole delete when the field is required. `onChange` hears of each record
 * the cascade deletes (as it was) or unlinks (as it is now), as PocketBase's record hooks do;
 * the caller announces them once the transaction has committed.
 */
export async function deleteWithCascade(
  tx: Executor,
  schema: SchemaLookup,
  collection: Collection,
  id: string,
  depth = 0,
  onChange?: (change: RecordChange) => void,
): Promise<void> {
  if (depth > MAX_CASCADE_DEPTH) throw deleteRefError();
  await tx.run(sql`DELETE FROM ${ident(collection.name)} WHERE ${ident('id')} = ${id}`);
  await deleteAuthRefs(tx, collection, id);
  for (const { source, field } of referencesTo(schema, collection)) {
    const column = ident(source.name, field.name);
    const multi = isMultiValue(field);
    const where = multi
      ? sql`EXISTS (SELECT 1 FROM ${tx.dialect.jsonEach(sql`${column}`, '__je', true)} WHERE ${ident('__je', 'value')} = ${id})`
      : sql`${column} = ${id}`;
    // Whole rows only when someone follows the changes; the ids and the relation otherwise.
    const columns = onChange ? sql`${ident(source.name)}.*` : sql`${ident(source.name, 'id')} AS ${ident('id')}, ${column}`;
    const rows = await tx.all(sql`SELECT ${columns} FROM ${ident(source.name)} WHERE ${where}`, rowShape(source));
    for (const row of rows) {
      const rowId = String(row.id);
      const remaining = multi ? parseIds(row[field.name]).filter((v) => v !== id) : [];
      if (remaining.length === 0) {
        if (field.cascadeDelete) {
          onChange?.({ action: 'delete', collection: source, record: decodeRow(source, row) });
          await deleteWithCascade(tx, schema, source, rowId, depth + 1, onChange);
          continue;
        }
        if (field.required) throw deleteRefError();
      }
      const stored = multi ? JSON.stringify(remaining) : '';
      await tx.run(sql`UPDATE ${ident(source.name)} SET ${ident(field.name)} = ${stored} WHERE ${ident('id')} = ${rowId}`);
      if (onChange) {
        const record = decodeRow(source, row);
        record[field.name] = multi ? remaining : '';
        onChange({ action: 'update', collection: source, record });
      }
    }
  }
}

/** A multi relation's stored ids (normalised JSON: a list, or a legacy scalar as one id). */
function parseIds(value: unknown): string[] {
  if (value === null || value === undefined || value === '') return [];
  return Array.isArray(value) ? value.map(String) : [String(value)];
}
