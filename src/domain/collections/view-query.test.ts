// The field each view column suggests, read from the query's text: PocketBase's own scenarios
// (core/view_test.go TestCreateViewFields), without a database. test/view-fields.test.ts makes
// the views on every database and reads their records back.
import { describe, expect, it } from 'vitest';
import { blankCollection, type Collection, type FieldDef } from '../../db/schema.ts';
import { SchemaSnapshot } from './store.ts';
import { viewColumnFields } from './view-query.ts';

const f = (name: string, type: string) => ({ id: `${type}_${name}`, name, type }) as unknown as FieldDef;
const collection = (id: string, name: string, fields: FieldDef[]): Collection => blankCollection({ id, name, fields: [f('id', 'text'), ...fields] });
const demo1 = collection('c_demo1', 'demo1', [f('text', 'text'), f('bool', 'bool'), f('url', 'url'), f('number', 'number'), f('file_many', 'file'), f('created', 'autodate')]);
const demo2 = collection('c_demo2', 'demo2', [f('text', 'text'), f('created', 'autodate')]);
const demo3 = collection('c_demo3', 'demo3', []);
const users = collection('c_users', 'users', [f('email', 'email'), f('verified', 'bool')]);
const schema = new SchemaSnapshot([demo1, demo2, demo3, users]);

/** `name: kind`, and for a copied field `name: kind type` (`bool: clone bool`); relations name their target. */
function kinds(query: string): Record<string, string> {
  return Object.fromEntries([...viewColumnFields(query, schema)].map(([name, s]) => [
    name,
    s.kind === 'clone' ? `clone ${s.original!.type}` : s.kind === 'relation' ? `relation ${s.collection!.name}` : s.kind,
  ]));
}

describe('viewColumnFields', () => {
  it('aggregates: count is an integer and total a number; sum, avg, min and max are json (they may be null or text)', () => {
    expect(kinds('select a.id, count(a.id) count, total(a.id) total, avg(a.id) avg, sum(a.id) sum, min(a.id) min, max(a.text) max from demo1 a'))
      .toEqual({ id: 'id', count: 'int', total: 'number', avg: 'json', sum: 'json', min: 'json', max: 'json' });
  });

  it('casts to the types PocketBase knows, in any case and spacing, multi-line too', () => {
    const casts = ['int', 'integer', 'real', 'decimal', 'numeric', 'text', 'bool', 'boolean', 'blob', 'varchar'];
    const query = `select a.id, ${casts.map((t) => `cast(a.id as ${t}) cast_${t}`).join(', ')}, CaSt( a.id  aS iNt ) spaced,
      cast(
        (case when count(a.id) = 1 then 21 else 0 end) as int
      ) as multiline
      from demo1 a`;
    expect(kinds(query)).toEqual({
      id: 'id', cast_int: 'int', cast_integer: 'int', cast_real: 'number', cast_decimal: 'number', cast_numeric: 'number',
      cast_text: 'text', cast_bool: 'bool', cast_boolean: 'bool', cast_blob: 'json', cast_varchar: 'json', spaced: 'int', multiline: 'int',
    });
  });

  it('columns of several tables, joins and alias styles; an id column is a relation to its collection', () => {
    const query = `select a.id as id, b.id as bid, lj.id cid, ij.id as did, a.bool, users.email, users.id as eid
      from demo1 a, demo2 as b
      left join demo3 lj on lj.id = 123
      inner join demo1 as ij on ij.id = 123
      join users
      where 1=1 group by a.id limit 10`;
    expect(kinds(query)).toEqual({
      id: 'id', bid: 'relation demo2', cid: 'relation demo3', did: 'relation demo1', bool: 'clone bool', email: 'clone email', eid: 'relation users',
    });
  });

  it('quoted identifiers, comments and unknown columns', () => {
    const query = `select
        -- a comment
        "id", [text], \`bool\`, "demo1"."file_many", \`demo1\`.\`number\` number_alias,
        /* a block
         * comment */ 'literal' as 'quoted_alias', 123 as custom, nope
      from/* no spaces */demo1`;
    expect(kinds(query)).toEqual({
      id: 'id', text: 'clone text', bool: 'clone bool', file_many: 'clone file', number_alias: 'clone number', quoted_alias: 'json', custom: 'json', nope: 'json',
    });
  });

  it('an unqualified column names a field of the first table only, matched in any case', () => {
    expect(kinds('select distinct a.id, TEXT, Email, id as id2 from demo1 a left join users u on u.id = a.id'))
      .toEqual({ id: 'id', TEXT: 'clone text', Email: 'json', id2: 'relation demo1' });
  });

  it('a table is found by its exact name, not an expression', () => {
    expect(kinds('select x.id, x.text, y.text as yt from DEMO1 x, (select id, text from demo2) y')).toEqual({ id: 'id', text: 'json', yt: 'json' });
  });

  it('a compound query takes its columns from the first SELECT', () => {
    expect(kinds('select id, text from demo1 union select id, text from demo2')).toEqual({ id: 'id', text: 'clone text' });
  });

  it('an expression PocketBase cannot split (it refuses the query) is json', () => {
    expect(kinds("select id, text || 'x' as t2, count(id) + 1 as c from demo1")).toEqual({ id: 'id' });
  });

  it.each(['select a.id, a.* from demo1 a', 'select * from (select 1 as id)'])('refuses a wildcard column: %s', (query) => {
    expect(() => viewColumnFields(query, schema)).toThrow(expect.objectContaining({
      data: { viewQuery: expect.objectContaining({ code: 'validation_invalid_view_query', message: expect.stringContaining('wildcard columns (*) are not supported') }) },
    }));
  });
});
