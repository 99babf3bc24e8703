/** The two ends of `baton migrate copy`: opening them, telling them apart, and what the target already holds. */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { Database } from '../db/dialect.ts';
import { databaseKind, openDatabases, type Databases } from '../db/open.ts';
import type { Collection } from '../db/schema.ts';
import { ident, sql } from '../db/sql.ts';
import { asError, AUX_MIGRATIONS, COLLECTIONS, CopyError, LOGS, loadCollections, MIGRATIONS, PARAMS, tableExists, type TableSpec } from './migrate-copy-tables.ts';

/** One end of a copy: a data directory (SQLite, and the files' `storage/`) and/or a database URL. */
export interface CopyEnd {
  /** The data directory. Without `url` it holds the SQLite databases; with it, only `storage/`. */
  dir?: string;
  /** `postgres://…` or `mysql://…`. */
  url?: string;
}

export interface OpenedEnd {
  label: string;
  kind: Databases['kind'];
  dbs: Databases;
  /** The files' directory, when known. */
  dir?: string;
  /** SQLite: `_logs` lives in a database of its own (auxiliary.db). */
  separateAux: boolean;
}

/** `postgres://user:secret@host/db` shown as `postgres://user:***@host/db`. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  }
}

export async function openEnd(end: CopyEnd, role: 'source' | 'target'): Promise<OpenedEnd> {
  const flag = role === 'source' ? '--from' : '--to';
  const dir = end.dir ? path.resolve(end.dir) : undefined;
  if (end.url) {
    if (!databaseKind(end.url)) throw new CopyError(`${flag}: unsupported database URL ${displayUrl(end.url)} (expected postgres://… or mysql://…)`);
    const dbs = await openDatabases({ url: end.url, dataDir: dir ?? process.cwd() });
    // The drivers connect on first use: connect now, so that a source that cannot be reached (a
    // wrong host, a database that does not exist) fails before the target is touched.
    try {
      await dbs.data.get(sql`SELECT 1 AS ${ident('ok')}`);
    } catch (e) {
      await dbs.close();
      throw e;
    }
    return { label: displayUrl(end.url), kind: dbs.kind, dbs, dir, separateAux: false };
  }
  if (!dir) throw new CopyError(`${flag}: give a data directory or a database URL`);
  if (role === 'source' && !existsSync(path.join(dir, 'data.db'))) throw new CopyError(`${flag}: ${dir} is not a data directory (no data.db)`);
  let dbs: Databases;
  try {
    // Exclusive: a Baton serving this directory would change it under the copy.
    dbs = await openDatabases({ dataDir: dir, exclusive: true });
  } catch (e) {
    if (e instanceof Error && /another Baton process/.test(e.message)) throw new CopyError(e.message);
    throw e;
  }
  return { label: dir, kind: dbs.kind, dbs, dir, separateAux: dbs.aux !== dbs.data };
}

export const sameDir = (a: string, b: string): boolean => {
  const real = (p: string) => (existsSync(p) ? realpathSync(p) : path.resolve(p));
  return real(a) === real(b);
};

export function checkDistinct(from: CopyEnd, to: CopyEnd): void {
  const sameUrl = (a: string, b: string) => {
    try {
      return new URL(a).toString() === new URL(b).toString();
    } catch {
      return a === b;
    }
  };
  if (from.url && to.url && sameUrl(from.url, to.url)) throw new CopyError('--from and --to name the same database');
  if (!from.url && !to.url && from.dir && to.dir && sameDir(from.dir, to.dir)) throw new CopyError('--from and --to name the same directory');
}

/** The database's identity (see `Dialect.databaseIdentity`), or undefined where it may not be read. */
async function identityOf(db: Database): Promise<string | undefined> {
  try {
    return (await db.get<{ identity: string | null }>(db.dialect.databaseIdentity(), { identity: 'text' }))?.identity ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * Refuses two ends that are one database reached two ways (`127.0.0.1` and `localhost`, a port
 * given or left out, an alias): `--force` would drop the source's tables before reading them.
 * Run after opening both ends and before anything is written. Different identities settle it;
 * equal or unknown ones are checked by a table of a random name created on the target and looked
 * for from the source, then dropped.
 */
export async function checkNotSameDatabase(source: OpenedEnd, target: OpenedEnd): Promise<void> {
  // Two SQLite directories were compared by their real paths (checkDistinct), and each is locked.
  if (source.kind !== target.kind) return;
  const a = await identityOf(source.dbs.data);
  const b = await identityOf(target.dbs.data);
  if (a !== undefined && b !== undefined && a !== b) return;
  const marker = `_baton_copy_probe_${randomBytes(8).toString('hex')}`;
  const t = target.dbs.data;
  try {
    await t.run(t.dialect.createTable(marker, [{ name: 'id', kind: 'text' }]));
  } catch (e) {
    throw new CopyError(`cannot tell whether --from and --to are the same database (creating a probe table on the target failed: ${asError(e).message})`);
  }
  try {
    if (await tableExists(source.dbs.data, marker)) {
      throw new CopyError(`--from and --to are the same database (${source.label} and ${target.label}); nothing was changed`);
    }
  } finally {
    await t.run(t.dialect.dropTable(marker));
  }
}

/** What Baton owns in the target: the system tables present and the collections its `_collections` lists. */
export interface TargetContents {
  system: TableSpec[];
  collections: Collection[];
}

export async function inspectTarget(t: OpenedEnd): Promise<TargetContents> {
  const candidates = [COLLECTIONS, PARAMS, MIGRATIONS, LOGS, ...(t.separateAux ? [AUX_MIGRATIONS] : [])];
  const system: TableSpec[] = [];
  for (const spec of candidates) if (await tableExists(spec.aux ? t.dbs.aux : t.dbs.data, spec.name)) system.push(spec);
  return { system, collections: system.includes(COLLECTIONS) ? await loadCollections(t.dbs.data) : [] };
}

export const hasFiles = (dir: string): boolean => existsSync(dir) && readdirSync(dir).length > 0;
