import { afterEach, describe, expect, it, vi } from 'vitest';
import { SqliteDatabase } from '../../db/dialects/sqlite-database.ts';
import { blankCollection } from '../../db/schema.ts';
import { sql } from '../../db/sql.ts';
import { silentLogger } from '../../kernel/logger.ts';
import { CollectionStatistics } from './statistics.ts';

const notes = blankCollection({ id: 'pbc_notes', name: 'notes', fields: [{ id: 'f1', name: 'id', type: 'text' } as never] });

async function measured(): Promise<{ db: SqliteDatabase; statistics: CollectionStatistics }> {
  const db = new SqliteDatabase(':memory:');
  await db.run(sql`CREATE TABLE notes (id TEXT PRIMARY KEY)`);
  const schema = { all: () => [notes], find: (ref: string) => (ref === notes.id || ref === notes.name ? notes : undefined) };
  return { db, statistics: new CollectionStatistics(db, schema, silentLogger) };
}

/** Lets the measurement under way finish (real timers: only the interval is faked). */
async function settle(until: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !until(); i++) await new Promise((r) => setTimeout(r, 5));
}

afterEach(() => {
  vi.useRealTimers();
});

describe('statistics refresh (--statistics-interval)', () => {
  it('measures at start, then every interval', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { db, statistics } = await measured();
    statistics.start(60_000);
    expect(vi.getTimerCount()).toBe(1);
    await settle(() => statistics.records(notes.id) !== undefined);
    expect(statistics.records(notes.id)).toBe(0);
    await db.run(sql`INSERT INTO notes (id) VALUES ('a'), ('b'), ('c')`);
    vi.advanceTimersByTime(60_000);
    await settle(() => statistics.records(notes.id) === 3);
    expect(statistics.records(notes.id)).toBe(3);
    statistics.stop();
    expect(vi.getTimerCount()).toBe(0);
    await db.close();
  });

  it('0 measures nothing and starts no timer', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { db, statistics } = await measured();
    statistics.start(0);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(24 * 3600_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(statistics.records(notes.id)).toBeUndefined();
    await db.close();
  });
});
