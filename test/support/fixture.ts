// PocketBase's own test data directory (its tests/data: data.db, auxiliary.db, storage/) is not part
// of this repository. The tests that need it find it through BATON_PB_FIXTURE, else at
// ../shared/fixtures/pocketbase-testdata beside the clone. Without it they skip and say so in one
// line; CI sets BATON_REQUIRE_FIXTURE=1 so that a missing fixture fails instead of passing quietly.
import { existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, test } from 'vitest';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const DEFAULT_DIR = '../shared/fixtures/pocketbase-testdata';

const wanted = process.env.BATON_PB_FIXTURE ? path.resolve(process.env.BATON_PB_FIXTURE) : path.resolve(REPO_ROOT, DEFAULT_DIR);

/** The fixture directory, or undefined when it is absent. */
export const FIXTURE_DIR: string | undefined = existsSync(path.join(wanted, 'data.db')) ? wanted : undefined;

const MISSING =
  `PocketBase's test data directory not found at ${wanted}; ` +
  `set BATON_PB_FIXTURE or place it at ${DEFAULT_DIR} (relative to the repository root)`;

let announced = false;

/**
 * Whether the fixture is present. When it is not, prints one line saying what is missing (once per
 * test file: vitest isolates modules per file), or throws under BATON_REQUIRE_FIXTURE=1.
 */
export function hasFixture(): boolean {
  if (FIXTURE_DIR) return true;
  if (process.env.BATON_REQUIRE_FIXTURE === '1') throw new Error(`${MISSING} (BATON_REQUIRE_FIXTURE=1)`);
  if (!announced) console.log(`skipped: ${MISSING}`);
  announced = true;
  return false;
}

/** A describe block that needs the fixture: skipped without it. */
export function describeFixture(name: string, factory: () => void): void {
  describe.skipIf(!hasFixture())(name, factory);
}

/** A test that needs the fixture: skipped without it. */
export function testFixture(name: string, fn: () => unknown): void {
  test.skipIf(!hasFixture())(name, fn);
}

/** The fixture directory; throws the same message when it is absent. */
export function fixtureDir(): string {
  if (!FIXTURE_DIR) throw new Error(MISSING);
  return FIXTURE_DIR;
}

/** Runs `read` against the fixture's data.db, opened read-only: the shared copy must never change. */
export function readFixtureDb<T>(read: (db: Database.Database) => T): T {
  const db = new Database(path.join(fixtureDir(), 'data.db'), { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}
