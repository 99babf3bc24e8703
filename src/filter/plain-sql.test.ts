import { describe, expect, it } from 'vitest';
import { render } from '../db/sql.ts';
import { compileFilter } from './index.ts';
import { dialect, envFor, posts } from './test-support.ts';

const where = (filter: string) => render(compileFilter(filter, envFor(posts)), dialect).text;

/**
 * PostgreSQL and MySQL compare as SQLite does (db/dialects/affinity.ts), but only comparisons that
 * mix types pay for it: a comparison of one type stays a plain comparison of the column, so an
 * index on it stays usable. The SQL text is the point here; what the filters match is asserted on
 * every database by semantics.test.ts and differential.test.ts. Each project checks its dialect's SQL.
 */
describe(`comparisons of one type keep plain SQL (${dialect.name})`, () => {
  it.each<[filter: string, sqlite: string, postgres: string, mysql: string]>([
    ["title = 'x'", '"posts"."title" = ?', '"posts"."title" = $1::text', '`posts`.`title` = CAST(? AS CHAR)'],
    ["title != 'x'", '"posts"."title" IS NOT ?', '"posts"."title" IS DISTINCT FROM $1::text', 'NOT (`posts`.`title` <=> CAST(? AS CHAR))'],
    ["title > 'x'", '"posts"."title" > ?', '"posts"."title" > $1::text', '`posts`.`title` > CAST(? AS CHAR)'],
    ['created > @now', '"posts"."created" > ?', '"posts"."created" > $1::text', '`posts`.`created` > CAST(? AS CHAR)'],
    ['views >= 10.5', '"posts"."views" >= ?', '"posts"."views" >= $1::float8', '`posts`.`views` >= CAST(? AS DOUBLE)'],
    // A numeric text against a number column is the number (SQLite's affinity), read when compiled.
    ["views = '5'", '"posts"."views" = ?', '"posts"."views" = $1::float8', '`posts`.`views` = CAST(? AS DOUBLE)'],
    ['published = true', '"posts"."published" = ?', '"posts"."published" = $1::boolean', '`posts`.`published` = ?'],
    // A multi-value field against a text: its JSON text on SQLite and MySQL, a JSONB value on PostgreSQL.
    ["tags != ''", `("posts"."tags" IS NOT '' AND "posts"."tags" IS NOT NULL)`, '("posts"."tags" IS DISTINCT FROM $1::jsonb AND "posts"."tags" IS NOT NULL)', "(NOT (`posts`.`tags` <=> '') AND `posts`.`tags` IS NOT NULL)"],
    ["files = '[]'", '"posts"."files" = ?', '"posts"."files" = $1::jsonb', '`posts`.`files` = CAST(? AS CHAR)'],
  ])('%s', (filter, sqlite, postgres, mysql) => {
    expect(where(filter)).toBe({ sqlite, postgres, mysql }[dialect.name]);
  });
});
