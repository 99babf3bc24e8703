import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendStatements, ROWS_PER_INSERT } from './append.ts';
import { sqliteDialect } from './dialects/sqlite.ts';
import { SqliteDatabase } from './dialects/sqlite-database.ts';
import { render, sql } from './sql.ts';

describe('appendStatements', () => {
  const columns = ['a', 'b'];
  const values = (rows: number) => Array.from({ length: rows * 2 }, (_, i) => (i % 2 ? `v${i >> 1}` : i >> 1));

  it('writes whole statements of ROWS_PER_INSERT rows, then one per row: two texts for any batch size', () => {
    const rows = 2 * ROWS_PER_INSERT + 22;
    const rendered = appendStatements('t', columns, values(rows)).map((s) => render(s, sqliteDialect));
    expect(rendered).toHaveLength(2 + 22);
    expect(new Set(rendered.map((r) => r.text)).size).toBe(2);
    // Every value once, in order, bound (never in the text).
    expect(rendered.flatMap((r) => r.params)).toEqual(values(rows));
    expect(rendered[0].text).not.toContain('v0');
  });

  it('refuses values that are not whole rows', () => {
    expect(() => appendStatements('t', columns, [1, 'x', 2])).toThrow(/whole rows/);
  });
});

describe('SqliteDatabase.appendRows', () => {
  // The appender thread for a file, the statements above in one transaction for `:memory:`.
  for (const where of ['a file', ':memory:'] as const) {
    it(`appends every row once, in order, on ${where}`, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'baton-append-'));
      const db = new SqliteDatabase(where === ':memory:' ? ':memory:' : path.join(dir, 'a.db'));
      try {
        await db.run(sql`CREATE TABLE t (n INTEGER, s TEXT)`);
        const rows = 2 * ROWS_PER_INSERT + 7;
        const values = Array.from({ length: rows }, (_, i) => [i, `row ${i}`]).flat();
        await db.appendRows('t', ['n', 's'], values);
        const stored = await db.all<{ n: number; s: string }>(sql`SELECT n, s FROM t ORDER BY rowid`);
        expect(stored).toEqual(Array.from({ length: rows }, (_, i) => ({ n: i, s: `row ${i}` })));
        await expect(db.appendRows('t', ['n', 's'], [1])).rejects.toThrow(/whole rows/);
        expect(await db.all(sql`SELECT n FROM t`)).toHaveLength(rows);
      } finally {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
