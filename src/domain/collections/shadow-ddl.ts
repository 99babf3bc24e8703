/**
 * Schema changes on a database whose DDL commits implicitly (MySQL/MariaDB: `caps.transactionalDdl`
 * is false), so that a change that fails leaves every table and `_collections` exactly as they were.
 *
 * Nothing live is altered in place. Each table the change creates or alters is first built whole
 * under a temporary name (`_new_<id>`, rows copied and converted, indexes created: what can fail,
 * such as a UNIQUE index over duplicates, fails here, with the live tables untouched). Then one
 * `RENAME TABLE` statement, atomic in MySQL, moves the old tables aside (`_old_<id>`) and the new
 * ones in. Views are created next and the `_collections` rows are written in one transaction;
 * if either fails, every step is undone in reverse (views dropped and recreated, the rename
 * reversed) and every new table dropped before the error is reported. Only then are the old
 * tables dropped.
 *
 * The whole change runs on one connection holding the database's write lock (`Database.exclusive`),
 * from before the first copy until after the `_collections` commit (or the undo): Baton's
 * serialized writes wait, on every process, and each table copied or dropped is held
 * (`holdWrites`), as is each new table before it is swapped in, so a record written meanwhile
 * waits and lands in the table that stays (a write made after the copy would otherwise have stayed
 * in the old table, and been dropped with it). Reads go on throughout.
 *
 * The cost is a full copy of every altered table per change (PocketBase's own schema changes on
 * SQLite copy tables as well), during which the table's writes wait. The one window left is a
 * crash of the process between the rename and the commit of the rows, a few milliseconds: the
 * next change of that collection rebuilds it.
 */
import type { Database, ExclusiveSession, Executor } from '../../db/dialect.ts';
import type { Collection } from '../../db/schema.ts';
import { buildShadowTable } from './table-sync.ts';
import { createViewTable } from './view.ts';

export interface PlannedChange {
  next: Collection;
  previous?: Collection;
}

export interface ShadowHooks {
  /** Stored views selecting from what changes: dropped before the tables move, made again after. */
  dependents?: readonly Collection[];
  /** Makes `dependents` again from their queries (and writes their rows where their fields changed). */
  resaveDependents?(tx: Executor): Promise<void>;
  /** Called before each table is built, so a failure can name the collection. */
  onTable?(next: Collection): void;
  /** Creates view `next` (replacing nothing: the previous one is dropped already) and infers its fields. */
  createView(tx: Executor, next: Collection, previous: Collection | undefined): Promise<void>;
  /** Writes the `_collections` rows of the whole change; called inside one transaction. */
  writeRows(tx: Executor): Promise<void>;
}

const viewQuery = (c: Collection) => String(c.options.viewQuery ?? '').trim().replace(/;\s*$/, '');

export async function applyWithShadowTables(
  database: Database,
  changes: readonly PlannedChange[],
  removed: readonly Collection[],
  hooks: ShadowHooks,
): Promise<void> {
  if (!database.exclusive) throw new Error(`${database.dialect.name}: schema changes through shadow tables need Database.exclusive`);
  await database.exclusive((session) => applyOnSession(session, changes, removed, hooks));
}

async function applyOnSession(
  db: ExclusiveSession,
  changes: readonly PlannedChange[],
  removed: readonly Collection[],
  hooks: ShadowHooks,
): Promise<void> {
  const d = db.dialect;
  const tables = changes.filter((p) => p.next.type !== 'view');
  const views = changes.filter((p) => p.next.type === 'view');
  const shadows: string[] = [];
  const undo: Array<() => Promise<unknown>> = [];
  try {
    // Writes to the tables copied or dropped wait from here on: none may land after its copy.
    for (const p of tables) if (p.previous) await db.holdWrites(p.previous.name);
    for (const r of removed) if (r.type !== 'view') await db.holdWrites(r.name);
    for (const p of tables) {
      const shadow = `_new_${p.next.id}`;
      shadows.push(shadow);
      hooks.onTable?.(p.next);
      await buildShadowTable(db, shadow, p.next, p.previous);
      // Held before it is swapped in, so nothing is written to it while the change may be undone.
      await db.holdWrites(shadow);
    }
    // Views that change or go away are dropped before the tables move (and recreated on failure).
    const dependents = hooks.dependents ?? [];
    for (const v of [...dependents].reverse()) {
      await db.run(d.dropView(v.name));
      // Made again as they were once the tables are back (the undo runs in reverse).
      undo.push(() => createViewTable(db, v.name, viewQuery(v), v.fields.map((f) => f.name)));
    }
    for (const v of [...views.map((p) => p.previous), ...removed.filter((r) => r.type === 'view')]) {
      if (!v) continue;
      await db.run(d.dropView(v.name));
      undo.push(() => createViewTable(db, v.name, viewQuery(v), v.fields.map((f) => f.name)));
    }
    const moves: Array<[string, string]> = [];
    for (const p of tables) {
      if (p.previous) moves.push([p.previous.name, `_old_${p.next.id}`]);
      moves.push([`_new_${p.next.id}`, p.next.name]);
    }
    for (const r of removed) if (r.type !== 'view') moves.push([r.name, `_old_${r.id}`]);
    if (moves.length) {
      for (const s of d.renameTables(moves)) await db.run(s);
      undo.push(async () => {
        for (const s of d.renameTables(moves.map(([a, b]) => [b, a] as [string, string]).reverse())) await db.run(s);
      });
    }
    for (const p of views) {
      await hooks.createView(db, p.next, p.previous);
      undo.push(() => db.run(d.dropView(p.next.name)));
    }
    if (dependents.length) {
      undo.push(async () => {
        for (const v of [...dependents].reverse()) await db.run(d.dropView(v.name));
      });
      await db.transaction(async (tx) => {
        await hooks.resaveDependents?.(tx);
        await hooks.writeRows(tx);
      });
    } else {
      await db.transaction((tx) => hooks.writeRows(tx));
    }
  } catch (e) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    // Every `_new_*` built, whether it was never swapped in or the undo renamed it back: each
    // holds a copy of the records.
    for (const s of shadows) await db.run(d.dropTable(s)).catch(() => undefined);
    throw e;
  }
  for (const p of tables) if (p.previous) await db.run(d.dropTable(`_old_${p.next.id}`));
  for (const r of removed) if (r.type !== 'view') await db.run(d.dropTable(`_old_${r.id}`));
}
