// A fresh database or directory is initialised like PocketBase's, and a first start that was
// interrupted half-way is finished by the next one, on every database.
import { mkdtempSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBaton } from '../src/cli/wire.ts';
import { ident, sql } from '../src/db/sql.ts';
import { silentLogger } from '../src/kernel/logger.ts';
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from './support/databases.ts';
import { fixtureDir, testFixture } from './support/fixture.ts';
import { onlyIf } from './support/only-if.ts';
import { auxiliaryLogs, BATON_LOGS_INDEXES, pendingPocketBaseMigrations, POCKETBASE_LOGS_TABLE } from './support/pocketbase-migrations.ts';

let database: TestDatabase;
let dir: string;
const open = () => openBaton({ dataDir: dir, db: database.url, logger: silentLogger });

beforeAll(async () => {
  database = await createTestDatabase();
  dir = mkdtempSync(path.join(tmpdir(), 'baton-first-'));
});
afterAll(async () => {
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const SYSTEM = ['_authOrigins', '_externalAuths', '_mfas', '_otps', '_superusers', 'users'];

describe('first start', () => {
  let ids: Record<string, string>;

  it('creates the system collections, the users collection, settings and the migration records', async () => {
    const baton = await open();
    try {
      const { schema, db } = baton.services;
      expect(schema.all().map((c) => c.name).sort()).toEqual(SYSTEM);
      ids = Object.fromEntries(schema.all().map((c) => [c.name, c.id]));
      expect(await db.get(sql`SELECT id FROM _params WHERE id = 'settings'`)).toEqual({ id: 'settings' });
      const migrations = await db.all<{ file: string }>(sql`SELECT file FROM _migrations`);
      expect(migrations.map((m) => m.file)).toContain('baton_0001_init');
    } finally {
      await baton.close();
    }
  });

  it('a start interrupted after some collections were made is finished, keeping what exists', async () => {
    // What a first start leaves when it stops before its last step: no migration records, and a
    // collection (its table and its row) not made yet.
    let baton = await open();
    try {
      const { db } = baton.services;
      await db.transaction(async (tx) => {
        await tx.run(sql`DELETE FROM _migrations`);
        await tx.run(sql`DELETE FROM _params`);
        await tx.run(sql`DROP TABLE ${ident('_authOrigins')}`);
        await tx.run(sql`DELETE FROM _collections WHERE name = ${'_authOrigins'}`);
      });
    } finally {
      await baton.close();
    }
    baton = await open();
    try {
      const { schema, db } = baton.services;
      expect(schema.all().map((c) => c.name).sort()).toEqual(SYSTEM);
      // The collections that existed keep their ids; the missing one is made again.
      for (const name of SYSTEM.filter((n) => n !== '_authOrigins')) expect(schema.find(name)?.id).toBe(ids[name]);
      expect(await db.all(sql`SELECT * FROM ${ident('_authOrigins')}`)).toEqual([]);
      expect(await db.get(sql`SELECT id FROM _params WHERE id = 'settings'`)).toEqual({ id: 'settings' });
      expect((await db.all<{ file: string }>(sql`SELECT file FROM _migrations`)).map((m) => m.file)).toContain('baton_0001_init');
    } finally {
      await baton.close();
    }
  });

  it('a started database is left as it is on the next start', async () => {
    const baton = await open();
    try {
      const users = baton.services.schema.find('users')!;
      expect(users.id).toBe(ids.users);
      expect(baton.services.schema.all()).toHaveLength(SYSTEM.length);
    } finally {
      await baton.close();
    }
  });
});

// PocketBase opens a data directory only as SQLite files: what it checks there is read from them.
onlyIf(TEST_DIALECT === 'sqlite', describe)('a fresh data directory, as PocketBase reads it', () => {
  testFixture("PocketBase's own test data has nothing pending and the _logs indexes expected here", () => {
    expect(pendingPocketBaseMigrations(fixtureDir())).toEqual([]);
    expect(auxiliaryLogs(fixtureDir()).indexes).toEqual(expect.arrayContaining(POCKETBASE_LOGS_TABLE.indexes));
  });

  it("records PocketBase's system migrations and builds _logs as its auxiliary migration does, so it runs none again", async () => {
    const fresh = mkdtempSync(path.join(tmpdir(), 'baton-first-'));
    try {
      await (await openBaton({ dataDir: fresh, logger: silentLogger })).close();
      expect(pendingPocketBaseMigrations(fresh)).toEqual([]);
      const logs = auxiliaryLogs(fresh);
      expect(logs.columns).toEqual(expect.arrayContaining(POCKETBASE_LOGS_TABLE.columns));
      expect(logs.indexes).toEqual(BATON_LOGS_INDEXES);

      // A directory made before an index was added gets it on its next start.
      const aux = new Database(path.join(fresh, 'auxiliary.db'));
      aux.exec('DROP INDEX idx_logs_level');
      aux.close();
      await (await openBaton({ dataDir: fresh, logger: silentLogger })).close();
      expect(auxiliaryLogs(fresh).indexes).toContain('idx_logs_level');
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});
