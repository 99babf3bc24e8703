import { describe, expect, it } from 'vitest';
import { buildIndex, hasUniqueIndexOn, parseIndex } from './indexes.ts';

describe('parseIndex', () => {
  it('reads name, table, columns and partial WHERE', () => {
    expect(parseIndex("CREATE UNIQUE INDEX `idx_a` ON `posts` (`email`) WHERE `email` != ''")).toEqual({
      unique: true,
      name: 'idx_a',
      table: 'posts',
      columns: ['`email`'],
      where: "`email` != ''",
    });
    expect(parseIndex('create index if not exists idx_b on t (a, lower(b), c DESC)')?.columns).toEqual(['a', 'lower(b)', 'c DESC']);
  });

  it('keeps parentheses of the WHERE clause out of the column list', () => {
    const p = parseIndex("CREATE INDEX idx ON t (a) WHERE (a != '' AND (b > 1))");
    expect(p?.columns).toEqual(['a']);
    expect(p?.where).toBe("(a != '' AND (b > 1))");
  });

  it.each([
    'CREATE INDEX idx ON t (a); DROP TABLE t',
    'DROP TABLE t',
    'CREATE INDEX idx ON t (a) garbage',
    'CREATE INDEX idx ON t ()',
    'CREATE INDEX idx ON t (a',
    `CREATE INDEX idx ON t (${'a,'.repeat(1500)}a)`,
  ])('refuses %s', (statement) => {
    expect(parseIndex(statement)).toBeUndefined();
  });

  it('rebuilds a statement for another table', () => {
    const p = parseIndex('create unique index idx on old ("title" , lower(body))')!;
    expect(buildIndex({ ...p, table: 'new' })).toBe('CREATE UNIQUE INDEX `idx` ON `new` (`title`, lower(body))');
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
