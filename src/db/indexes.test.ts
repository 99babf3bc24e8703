import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeFixture, readFixtureDb } from '../../test/support/fixture.ts';
import { hasUniqueIndexOn, parseIndex } from './indexes-parse.ts';
import { conditionSql, formatIndex, numericLiteral, sqliteStringLiteral, type ConditionDialect } from './indexes-render.ts';
import {
  indexColumnNames,
  IndexRenderError,
  resolveIndexColumn,
  type CompareOp,
  type IndexColumn,
  type IndexCondition,
  type IndexSpec,
  whereAdmitsKey,
} from './indexes.ts';
import { ident, render, sql } from './sql.ts';

/** What PocketBase's test data directory stores in `_collections.indexes` (v0.39). */
const POCKETBASE_INDEXES = [
  'CREATE UNIQUE INDEX `__pb_users_auth__username_idx` ON `users` (username)',
  "CREATE UNIQUE INDEX `__pb_users_auth__email_idx` ON `users` (email) WHERE email != ''",
  'CREATE INDEX `__pb_users_auth__created_idx` ON `users` (`created`)',
  'CREATE UNIQUE INDEX "idx_unique_demo2_title" on "demo2" ("title")',
  'CREATE INDEX "idx_demo2_active" ON "demo2" (\n"active"\n)',
  "CREATE UNIQUE INDEX `idx_IjL94ze` ON `demo4` (`rel_many_unique`) WHERE rel_many_unique != '[]'",
  'CREATE INDEX `_kpv709sk2lqbqk8_created_idx` ON "nologin" (`created`)',
  "CREATE UNIQUE INDEX `idx_email__pbc_3323866339` ON `_superusers` (`email`) WHERE `email` != ''",
  'CREATE UNIQUE INDEX `idx_externalAuths_record_provider` ON `externalAuths` (collectionRef, recordRef, provider)',
  'CREATE INDEX `idx_mfas_collectionRef_recordRef` ON `mfas` (\n  `collectionRef`,\n  `recordRef`\n)',
];

const col = (name: string, extra: Partial<Extract<IndexColumn, { kind: 'column' }>> = {}): IndexColumn => ({ kind: 'column', name, ...extra });
const ref = (name: string) => ({ kind: 'column', name }) as const;
const str = (value: string) => ({ kind: 'string', value }) as const;

describe('parseIndex', () => {
  it('reads name, table, columns and a partial WHERE into a tree', () => {
    expect(parseIndex("CREATE UNIQUE INDEX `idx_a` ON `posts` (`email`) WHERE `email` != ''")).toEqual({
      unique: true,
      name: 'idx_a',
      table: 'posts',
      columns: [col('email')],
      where: { kind: 'compare', op: '!=', left: ref('email'), right: str('') },
    });
  });

  it('reads collations, sort orders and lower()/upper()', () => {
    expect(parseIndex('create index if not exists idx_b on t (a, lower(b), c COLLATE NOCASE DESC, upper([d]) asc, e collate "BINARY")')?.columns).toEqual([
      col('a'),
      { kind: 'expression', fn: 'lower', column: 'b' },
      col('c', { collate: 'nocase', order: 'desc' }),
      { kind: 'expression', fn: 'upper', column: 'd', order: 'asc' },
      col('e', { collate: 'binary' }),
    ]);
  });

  it('reads AND/OR/NOT, IS [NOT] NULL, numbers and NULL with SQL precedence', () => {
    const p = parseIndex("CREATE INDEX i ON t (a) WHERE NOT a = 1 AND (b > -2.5 OR c IS NOT NULL) OR d <> 'x''y' AND e == NULL AND f IS NULL");
    const expected: IndexCondition = {
      kind: 'or',
      conditions: [
        {
          kind: 'and',
          conditions: [
            { kind: 'not', condition: { kind: 'compare', op: '=', left: ref('a'), right: { kind: 'number', value: '1' } } },
            {
              kind: 'or',
              conditions: [
                { kind: 'compare', op: '>', left: ref('b'), right: { kind: 'number', value: '-2.5' } },
                { kind: 'isNull', operand: ref('c'), negated: true },
              ],
            },
          ],
        },
        {
          kind: 'and',
          conditions: [
            { kind: 'compare', op: '!=', left: ref('d'), right: str("x'y") },
            { kind: 'compare', op: '=', left: ref('e'), right: { kind: 'null' } },
            { kind: 'isNull', operand: ref('f'), negated: false },
          ],
        },
      ],
    };
    expect(p?.where).toEqual(expected);
  });

  it('flattens nested groups of the same kind', () => {
    expect(parseIndex('CREATE INDEX i ON t (a) WHERE (a = 1 AND (b = 2)) AND c = 3')?.where).toMatchObject({ kind: 'and', conditions: [{}, {}, {}] });
  });

  it('accepts an empty table name (PocketBase scaffolds indexes before the collection is named)', () => {
    expect(parseIndex('CREATE UNIQUE INDEX `idx_tokenKey_x` ON `` (`tokenKey`)')?.table).toBe('');
  });

  it('returns frozen specs', () => {
    const p = parseIndex('CREATE INDEX frozen ON t (a) WHERE a = 1')!;
    expect(Object.isFrozen(p) && Object.isFrozen(p.columns[0]) && Object.isFrozen(p.where)).toBe(true);
  });

  it.each(POCKETBASE_INDEXES)('reads PocketBase index %s', (s) => {
    expect(parseIndex(s)).toBeDefined();
  });

  it.each([
    ['a second statement', 'CREATE INDEX idx ON t (a); DROP TABLE t'],
    ['a second statement after WHERE', "CREATE INDEX idx ON t (a) WHERE a = 'x'; DROP TABLE t"],
    ['two semicolons', 'CREATE INDEX idx ON t (a);;'],
    ['another statement', 'DROP TABLE t'],
    ['trailing words', 'CREATE INDEX idx ON t (a) garbage'],
    ['no columns', 'CREATE INDEX idx ON t ()'],
    ['an unclosed list', 'CREATE INDEX idx ON t (a'],
    ['too long', `CREATE INDEX idx ON t (${'a,'.repeat(1500)}a)`],
    ['33 columns', `CREATE INDEX idx ON t (${Array.from({ length: 33 }, (_, i) => `c${i}`).join(', ')})`],
    ['a subquery in WHERE', 'CREATE INDEX idx ON t (a) WHERE a = (SELECT 1)'],
    ['EXISTS in WHERE', 'CREATE INDEX idx ON t (a) WHERE EXISTS (SELECT 1 FROM u)'],
    ['IN in WHERE', 'CREATE INDEX idx ON t (a) WHERE a IN (1, 2)'],
    ['LIKE in WHERE', "CREATE INDEX idx ON t (a) WHERE a LIKE 'x%'"],
    ['a function in WHERE', "CREATE INDEX idx ON t (a) WHERE lower(a) = 'x'"],
    ['arithmetic in WHERE', 'CREATE INDEX idx ON t (a) WHERE a + 1 = 2'],
    ['a bare column as condition', 'CREATE INDEX idx ON t (a) WHERE a'],
    ['IS with a value', "CREATE INDEX idx ON t (a) WHERE a IS 'x'"],
    ['a qualified column', 'CREATE INDEX idx ON t (a) WHERE t.a = 1'],
    ['a -- comment', 'CREATE INDEX idx ON t (a) -- comment'],
    ['a -- comment hiding the rest', 'CREATE INDEX idx ON t (a) WHERE a = 1 --\n OR 1 = 1'],
    ['a /* comment */', 'CREATE INDEX idx ON t (a /* x */)'],
    ['an unknown function', 'CREATE INDEX idx ON t (abs(a))'],
    ['a nested function', 'CREATE INDEX idx ON t (lower(upper(a)))'],
    ['a function with two arguments', 'CREATE INDEX idx ON t (lower(a, b))'],
    ['json_extract', "CREATE INDEX idx ON t (json_extract(a, '$.b'))"],
    ['an expression with COLLATE', 'CREATE INDEX idx ON t (lower(a) COLLATE NOCASE)'],
    ['an unknown collation', 'CREATE INDEX idx ON t (a COLLATE klingon)'],
    ['an unbalanced quote', "CREATE INDEX idx ON t (a) WHERE a = 'x"],
    ['an unbalanced identifier quote', 'CREATE INDEX idx ON t (`a)'],
    ['an unbalanced bracket', 'CREATE INDEX idx ON t ([a)'],
    ['a quoted name with odd characters', 'CREATE INDEX `i dx` ON t (a)'],
    ['a quote inside a quoted name', 'CREATE INDEX idx ON t ("a""b")'],
    ['a schema-qualified table', 'CREATE INDEX idx ON main.t (a)'],
    ['unbalanced parentheses in WHERE', 'CREATE INDEX idx ON t (a) WHERE (a = 1'],
    ['a NUL byte', "CREATE INDEX idx ON t (a) WHERE a = '\0'"],
    ['a lone surrogate', "CREATE INDEX idx ON t (a) WHERE a = '\ud800'"],
    ['a reserved bare word as column', 'CREATE INDEX idx ON t (select)'],
    ['a hex number', 'CREATE INDEX idx ON t (a) WHERE a = 0x10'],
    ['a number glued to a word', 'CREATE INDEX idx ON t (a) WHERE a = 1abc'],
    ['deep nesting', `CREATE INDEX idx ON t (a) WHERE ${'('.repeat(40)}a = 1${')'.repeat(40)}`],
    ['a missing index name', 'CREATE INDEX ON t (a)'],
    ['an empty index name', 'CREATE INDEX `` ON t (a)'],
    ['not a string', 42 as unknown as string],
  ])('refuses %s', (_what, statement) => {
    expect(parseIndex(statement)).toBeUndefined();
  });

  it('keeps comment markers and semicolons inside string literals as data', () => {
    expect(parseIndex("CREATE INDEX i ON t (a) WHERE a != '--;/* x */'")?.where).toEqual({
      kind: 'compare',
      op: '!=',
      left: ref('a'),
      right: str('--;/* x */'),
    });
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (s) => {
        parseIndex(s);
        parseIndex(`CREATE INDEX i ON t (a) WHERE ${s}`);
      }),
      { numRuns: 2000 },
    );
  });
});

describeFixture("PocketBase's test data directory", () => {
  it('every stored index parses and survives formatIndex unchanged in meaning', () => {
    const stored = readFixtureDb((db) =>
      (db.prepare('SELECT indexes FROM _collections').all() as { indexes: string }[]).flatMap((r) => JSON.parse(r.indexes) as string[]),
    );
    expect(stored.length).toBeGreaterThan(20);
    for (const s of stored) {
      const spec = parseIndex(s);
      expect(spec, s).toBeDefined();
      expect(parseIndex(formatIndex(spec!)), s).toEqual(spec);
    }
  });
});

describe('formatIndex', () => {
  it("writes PocketBase's canonical text", () => {
    expect(formatIndex(parseIndex("create unique index idx on old (email) where email != ''")!)).toBe(
      "CREATE UNIQUE INDEX `idx` ON `old` (`email`) WHERE `email` != ''",
    );
    expect(formatIndex({ ...parseIndex('CREATE INDEX idx ON demo ("title" collate nocase, created DESC, lower(b))')!, table: 'renamed' })).toBe(
      'CREATE INDEX `idx` ON `renamed` (\n  `title` COLLATE NOCASE,\n  `created` DESC,\n  lower(`b`)\n)',
    );
    expect(formatIndex(parseIndex('CREATE UNIQUE INDEX `idx_email_x` ON `` (`email`) WHERE `email` != \'\'')!)).toBe(
      "CREATE UNIQUE INDEX `idx_email_x` ON `` (`email`) WHERE `email` != ''",
    );
  });

  it('parenthesises only where precedence needs it', () => {
    const s = "CREATE INDEX i ON t (a) WHERE (a = 1 OR b = 2) AND NOT (c IS NULL) OR d < 'x''y'";
    expect(formatIndex(parseIndex(s)!)).toBe("CREATE INDEX `i` ON `t` (`a`) WHERE (`a` = 1 OR `b` = 2) AND NOT (`c` IS NULL) OR `d` < 'x''y'");
  });

  it('round-trips any spec', () => {
    const name = fc.stringMatching(/^[A-Za-z_]\w{0,12}$/);
    const order = fc.option(fc.constantFrom('asc' as const, 'desc' as const), { nil: undefined });
    const column: fc.Arbitrary<IndexColumn> = fc.oneof(
      fc
        .record({ name, collate: fc.option(fc.constantFrom('nocase' as const, 'binary' as const, 'rtrim' as const), { nil: undefined }), order })
        .map(({ name, collate, order }) => ({ kind: 'column' as const, name, ...(collate && { collate }), ...(order && { order }) })),
      fc
        .record({ fn: fc.constantFrom('lower' as const, 'upper' as const), column: name, order })
        .map(({ fn, column, order }) => ({ kind: 'expression' as const, fn, column, ...(order && { order }) })),
    );
    const operand = fc.oneof(
      name.map(ref),
      fc.string({ unit: 'grapheme', maxLength: 8 }).filter((v) => !v.includes('\0')).map(str),
      fc.stringMatching(/^-?(?:\d{1,5}(?:\.\d{0,3})?|\.\d{1,3})(?:[eE][+-]?\d{1,2})?$/).map((value) => ({ kind: 'number' as const, value })),
      fc.constant({ kind: 'null' as const }),
    );
    const { condition } = fc.letrec<{ condition: IndexCondition }>((tie) => ({
      condition: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.record({ kind: fc.constant('compare' as const), op: fc.constantFrom<CompareOp>('=', '!=', '<', '<=', '>', '>='), left: operand, right: operand }),
        fc.record({ kind: fc.constant('isNull' as const), operand, negated: fc.boolean() }),
        fc.record({ kind: fc.constant('not' as const), condition: tie('condition') }),
        fc
          .record({ kind: fc.constantFrom('and' as const, 'or' as const), conditions: fc.array(tie('condition'), { minLength: 2, maxLength: 3 }) })
          // A group never directly holds one of its own kind (parseIndex flattens them).
          .filter((g) => g.conditions.every((c) => c.kind !== g.kind)),
      ),
    }));
    const spec: fc.Arbitrary<IndexSpec> = fc.record({
      name,
      table: name,
      unique: fc.boolean(),
      columns: fc.array(column, { minLength: 1, maxLength: 4 }),
      where: fc.option(condition, { nil: null, depthSize: 'small' }),
    });
    fc.assert(
      fc.property(spec, (s) => {
        const text = formatIndex(s);
        if (text.length > 2000) return;
        expect(parseIndex(text)).toEqual(s);
      }),
      { numRuns: 500 },
    );
  });
});

describe('helpers', () => {
  it('indexColumnNames lists every column an index reads', () => {
    expect(indexColumnNames(parseIndex('CREATE INDEX i ON t (a, lower(b), a DESC) WHERE c = 1 AND (d IS NULL OR a = e)')!)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('resolveIndexColumn matches case-insensitively only when unambiguous', () => {
    expect(resolveIndexColumn('Email', { email: 'text', id: 'text' })).toBe('email');
    expect(resolveIndexColumn('email', { email: 'text' })).toBe('email');
    expect(() => resolveIndexColumn('nope', { email: 'text' })).toThrow(IndexRenderError);
    expect(() => resolveIndexColumn('AB', { ab: 'text', aB: 'text' })).toThrow(IndexRenderError);
  });

  it('numericLiteral accepts decimals only', () => {
    expect(render(numericLiteral('-1.5e3'), { quoteIdent: String, placeholder: () => '?' }).text).toBe('-1.5e3');
    for (const bad of ['1; DROP TABLE t', '0x10', '', '1e', 'NaN', '--1']) expect(() => numericLiteral(bad), bad).toThrow(IndexRenderError);
  });

  it('sqliteStringLiteral doubles quotes and refuses NUL', () => {
    const text = (v: string) => render(sqliteStringLiteral(v), { quoteIdent: String, placeholder: () => '?' }).text;
    expect(text("it's \\ \"ok\"")).toBe("'it''s \\ \"ok\"'");
    expect(() => text('a\0b')).toThrow(IndexRenderError);
  });

  it.each([
    ['a column compared with a number', "t = 5", "`t` = '5'"],
    ['a column compared with a real', 't > 1.50', "`t` > '1.5'"],
    ['a whole real', 't = 1e3', "`t` = '1000.0'"],
    ['a number column compared with a numeric string', "n = ' 5 '", 'CAST(`n`) = 5'],
    ['a number column compared with text', "n != 'x'", '(`n` IS NOT NULL)'],
    ['text compared with a number column', "'x' < n", '(CASE WHEN `n` IS NULL THEN NULL ELSE FALSE END)'],
    ['text compared with a number column, reversed', "'x' > n", '(`n` IS NOT NULL)'],
    ['NULL comparisons as written', 'n = NULL', '`n` = NULL'],
  ])('typed conditions convert literals as SQLite does: %s', (_what, where, expected) => {
    const types: Record<string, 'text' | 'number'> = { t: 'text', n: 'number' };
    const dialect: ConditionDialect = {
      string: sqliteStringLiteral,
      typeOf: (name) => types[name],
      column: (name, against) => (types[name] === 'number' && against === 'number' ? sql`CAST(${ident(name)})` : sql`${ident(name)}`),
    };
    const cond = parseIndex(`CREATE INDEX i ON x (t) WHERE ${where}`)!.where!;
    expect(render(conditionSql(cond, dialect), { quoteIdent: (n) => `\`${n}\``, placeholder: () => '?' }).text).toBe(expected);
  });

  it('refuses to turn an exponent-sized number into text', () => {
    const dialect: ConditionDialect = { string: sqliteStringLiteral, typeOf: () => 'text', column: (n) => sql`${ident(n)}` };
    expect(() => conditionSql(parseIndex('CREATE INDEX i ON x (t) WHERE t = 1e20')!.where!, dialect)).toThrow(IndexRenderError);
  });
});

describe('hasUniqueIndexOn', () => {
  it.each([
    ['CREATE UNIQUE INDEX idx ON t (post)', true],
    ['create unique index if not exists `idx` on `t` (`post`)', true],
    ['CREATE UNIQUE INDEX idx ON t ("post" COLLATE NOCASE DESC)', true],
    ["CREATE UNIQUE INDEX idx ON t (post) WHERE post != ''", true],
    ['CREATE UNIQUE INDEX idx ON t (POST)', true],
    ['CREATE INDEX idx ON t (post)', false],
    ['CREATE UNIQUE INDEX idx ON t (post, user)', false],
    ['CREATE UNIQUE INDEX idx ON t (poster)', false],
    ['CREATE UNIQUE INDEX idx ON t (lower(post))', false],
  ])('%s -> %s', (idx, expected) => {
    expect(hasUniqueIndexOn([idx], 'post')).toBe(expected);
  });
});

describe('whereAdmitsKey', () => {
  const admits = (index: string, value: string, nocase: boolean) => whereAdmitsKey(parseIndex(index)!, value, nocase);

  it.each([
    ['no WHERE', 'CREATE UNIQUE INDEX u ON t (email)', 'a@b.c', false, true],
    ["PocketBase's `email != ''`", "CREATE UNIQUE INDEX u ON t (email) WHERE email != ''", 'a@b.c', false, true],
    ['the empty value outside it', "CREATE UNIQUE INDEX u ON t (email COLLATE NOCASE) WHERE email != ''", '', true, false],
    ['a literal on the left, another spelling of the column', "CREATE UNIQUE INDEX u ON t (email) WHERE '' <> EMAIL", 'x', false, true],
    ['a literal NOCASE-equal to the value', "CREATE UNIQUE INDEX u ON t (email COLLATE NOCASE) WHERE email != 'X'", 'x', true, false],
    ['the same literal for an exact key', "CREATE UNIQUE INDEX u ON t (email) WHERE email != 'X'", 'x', false, true],
    ['IS NOT NULL', 'CREATE UNIQUE INDEX u ON t (email) WHERE email IS NOT NULL', 'x', false, true],
    ['a condition on another column', "CREATE UNIQUE INDEX u ON t (email) WHERE email != '' AND verified = 1", 'x', false, false],
    ['OR with one admitting branch', "CREATE UNIQUE INDEX u ON t (email) WHERE verified = 1 OR email != ''", 'x', false, true],
    ['NOT', "CREATE UNIQUE INDEX u ON t (email) WHERE NOT (email = '')", 'x', false, false],
    ['a composite key', "CREATE UNIQUE INDEX u ON t (email, n) WHERE email != ''", 'x', false, false],
  ])('%s', (_what, index, value, nocase, expected) => {
    expect(admits(index, value, nocase)).toBe(expected);
  });
});
