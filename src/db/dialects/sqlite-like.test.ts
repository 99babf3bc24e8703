// baton_like (sqlite-like.js), what `~` compiles to on SQLite, against SQLite's own
// `x LIKE p ESCAPE '\'` on random texts and patterns; and its budget checks within one call.
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { likeFunction } from './sqlite-like.js';
import { NATIVE_LIKE_MAX_WORK, sqliteDialect } from './sqlite.ts';
import { render, sql } from '../sql.ts';

describe('baton_like', () => {
  it('answers as SQLite\'s LIKE with ESCAPE \'\\\' (ASCII case folding, %, _, escapes, NUL, astral characters, NULL)', () => {
    const conn = new BetterSqlite3(':memory:');
    conn.function('baton_like', { deterministic: true, directOnly: true }, likeFunction(() => undefined));
    const both = conn.prepare("SELECT (? LIKE ? ESCAPE '\\') AS native, baton_like(lower(?), lower(?)) AS ours");
    const char = fc.constantFrom('a', 'A', 'b', 'B', 'z', '%', '_', '\\', 'é', 'É', '😀', '\0', ' ');
    const text = fc.array(char, { maxLength: 14 }).map((cs) => cs.join(''));
    const pattern = fc.array(char, { maxLength: 8 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(text, pattern, (t, p) => {
        const { native, ours } = both.get(t, p, t, p) as { native: unknown; ours: unknown };
        expect(ours).toBe(native);
      }),
      { numRuns: 20_000 },
    );
    for (const [t, p] of [[null, 'a'], ['a', null], [12, '%2%'], [1.5, '1.5'], [1e18, '%e+18']] as const) {
      const { native, ours } = both.get(t, p, t, p) as { native: unknown; ours: unknown };
      expect(ours).toBe(native);
    }
    conn.close();
  });

  it('`~` as compiled (SQLite\'s LIKE for small text x pattern, baton_like past it) answers as LIKE on both sides of the threshold', () => {
    const conn = new BetterSqlite3(':memory:');
    conn.function('baton_like', { deterministic: true, directOnly: true }, likeFunction(() => undefined));
    conn.exec('CREATE TABLE t (x TEXT)');
    const insert = conn.prepare('INSERT INTO t (x) VALUES (?)');
    const { text, params } = render(sql`SELECT x LIKE ${'p'} ESCAPE '\\' AS native, ${sqliteDialect.like(sql`x`, sql`${'p'}`, false)} AS compiled FROM t`, sqliteDialect);
    const query = conn.prepare(text);
    const char = fc.constantFrom('a', 'B', '%', '_', '\\', 'é', '😀');
    const long = 'Ab'.repeat(NATIVE_LIKE_MAX_WORK);
    fc.assert(
      fc.property(fc.array(char, { maxLength: 10 }), fc.boolean(), fc.array(char, { maxLength: 6 }), (t, padded, p) => {
        conn.exec('DELETE FROM t');
        insert.run(padded ? long + t.join('') + long : t.join(''));
        const { native, compiled } = query.get(...params.map(() => p.join(''))) as { native: unknown; compiled: unknown };
        expect(compiled).toBe(native);
      }),
      { numRuns: 3_000 },
    );
    conn.close();
  });

  it('checks the budget within one long text, not only between rows', () => {
    let checks = 0;
    const like = likeFunction(() => void checks++);
    expect(like('a'.repeat(1_000_000), `%${'a'.repeat(250)}b%`)).toBe(0);
    expect(checks).toBeGreaterThan(0);
    // A segment with `_` is tried position by position: its work is counted too.
    checks = 0;
    expect(like('a'.repeat(200_000), `%${'a'.repeat(100)}_b%`)).toBe(0);
    expect(checks).toBeGreaterThan(100);
  });
});
