import { describe, expect, it } from 'vitest';
import { appendStatements, ROWS_PER_INSERT } from './append.ts';
import { sqliteDialect } from './dialects/sqlite.ts';
import { render } from './sql.ts';

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
