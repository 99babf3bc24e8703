import { openDatabases } from '../db/open.ts';
import { COLLECTIONS, LOGS, loadCollections, MIGRATIONS, PARAMS, tableExists } from './migrate-copy-tables.ts';
import { viewOrder } from './migrate-copy-plan.ts';

/**
 * The server database's counterpart of `undoNewDirectory`, for `serve --db=URL` that sets up a
 * database and then fails before it listens (address in use): call it before opening; when the
 * database holds no Baton yet (neither `_collections` nor `_params`), the function it returns
 * drops what setting Baton up made there (the tables and views `_collections` lists, then the
 * system tables and PostgreSQL's functions), so that the database is left empty as it was found,
 * and `migrate copy --to` still takes it. A database that already held a Baton is never touched, nor one that another
 * session is connected to when the undo runs (another node may have set it up and serve it): the
 * function then resolves false. Without a URL (SQLite, whose files `undoNewDirectory` removes
 * with the directory) it does nothing.
 */
export async function undoNewDatabase(url: string | undefined, dataDir: string): Promise<() => Promise<boolean>> {
  const nothing = async () => true;
  if (!url) return nothing;
  let found: boolean;
  try {
    const dbs = await openDatabases({ url, dataDir });
    try {
      found = (await tableExists(dbs.data, COLLECTIONS.name)) || (await tableExists(dbs.data, PARAMS.name));
    } finally {
      await dbs.close();
    }
  } catch {
    // Not reachable: opening it for serving fails the same way, having set nothing up.
    return nothing;
  }
  if (found) return nothing;
  return async () => {
    const dbs = await openDatabases({ url, dataDir });
    try {
      const db = dbs.data;
      const d = db.dialect;
      // Another session on the database may be another node that set Baton up there at the same
      // moment and serves it now: what is there is then left as it is. (The first statement on a
      // new pool: this process has no other session open.)
      const others = d.otherSessions();
      if (others && Number((await db.get<{ n: number }>(others, { n: 'number' }))?.n) > 0) return false;
      const collections = (await tableExists(db, COLLECTIONS.name)) ? await loadCollections(db) : [];
      for (const v of viewOrder(collections.filter((c) => c.type === 'view')).reverse()) await db.run(d.dropView(v.name));
      for (const c of collections) if (c.type !== 'view') await db.run(d.dropTable(c.name));
      for (const spec of [LOGS, MIGRATIONS, PARAMS, COLLECTIONS]) await db.run(d.dropTable(spec.name));
      for (const statement of d.dropSystemRoutines()) await db.run(statement);
      return true;
    } finally {
      await dbs.close();
    }
  };
}
