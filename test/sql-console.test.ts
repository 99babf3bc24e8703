// POST /api/sql, PocketBase's SQL console (apis/sql.go), on every database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServer, type TestServer } from './support/baton.ts';
import { objectType } from './support/introspect.ts';

let server: TestServer;
let su: string;
let userToken = '';

const run = (query: unknown, token = su) => api(server, 'POST', '/api/sql', { token, body: { query } });

/** Each query is answered 400 with a message that matches `message`. */
async function expectRefused(queries: string[], message: RegExp): Promise<void> {
  for (const text of queries) {
    const res = await run(text);
    expect(res.status, text).toBe(400);
    expect(res.body.message, text).toMatch(message);
  }
}

beforeAll(async () => {
  server = await startServer({ queryTimeouts: { system: 1500 } });
  su = server.superuserToken;
  const created = await api(server, 'POST', '/api/collections/users/records', {
    body: { email: 'u@example.com', password: 'secret-password-1', passwordConfirm: 'secret-password-1' },
  });
  expect(created.status).toBe(200);
  const login = await api(server, 'POST', '/api/collections/users/auth-with-password', { body: { identity: 'u@example.com', password: 'secret-password-1' } });
  userToken = login.body.token;
  const posts = await api(server, 'POST', '/api/collections', {
    token: su,
    body: { name: 'posts', type: 'base', fields: [{ name: 'title', type: 'text' }, { name: 'views', type: 'number' }] },
  });
  expect(posts.status).toBe(200);
  for (let i = 1; i <= 3; i++) {
    const r = await api(server, 'POST', '/api/collections/posts/records', { token: su, body: { title: `post ${i}`, views: i * 10 } });
    expect(r.status).toBe(200);
  }
}, 60_000);

afterAll(async () => {
  await server?.close();
});

describe('POST /api/sql', () => {
  it('refuses guests (401) and users (403)', async () => {
    const guest = await api(server, 'POST', '/api/sql', { body: { query: 'select 1' } });
    expect(guest.status).toBe(401);
    expect(guest.body).toMatchObject({ status: 401, data: {} });
    const user = await run('select 1', userToken);
    expect(user.status).toBe(403);
    expect(user.body).toMatchObject({ status: 403, data: {} });
  });

  it('selects columns and rows as text', async () => {
    const res = await run('SELECT title, views FROM posts ORDER BY views');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['execTime', 'affectedRows', 'columns', 'rows']);
    expect(res.body.affectedRows).toBe(0);
    expect(typeof res.body.execTime).toBe('number');
    expect(res.body.columns.map((c: { name: string }) => c.name)).toEqual(['title', 'views']);
    // The database's own type names: a table's text column has one everywhere.
    expect(res.body.columns[0].type).toMatch(/^(TEXT|VARCHAR)$/);
    for (const c of res.body.columns) expect(typeof c.nullable).toBe('boolean');
    expect(res.body.rows.map((r: unknown[]) => r[0])).toEqual(['post 1', 'post 2', 'post 3']);
    // Every value as text, as PocketBase scans them into strings.
    expect(Number(res.body.rows[2][1])).toBe(30);
    expect(typeof res.body.rows[2][1]).toBe('string');
    const nulls = await run('SELECT NULL AS n');
    expect(nulls.body.rows).toEqual([[null]]);
  });

  it('answers `select 1` as PocketBase does', async () => {
    const res = await run('select 1');
    expect(res.status).toBe(200);
    expect(res.body.rows).toEqual([['1']]);
    expect(res.body.columns).toHaveLength(1);
    expect(res.body.columns[0].name).toMatch(/^(1|\?column\?)$/);
    // On SQLite, exactly PocketBase's answer (an expression has no declared type).
    if (server.dialect === 'sqlite') expect(res.body.columns).toEqual([{ name: '1', type: '', nullable: true }]);
  });

  it('answers the last statement of several reads', async () => {
    const res = await run("select 1 as a; select 'two' as b");
    expect(res.status).toBe(200);
    expect(res.body.columns.map((c: { name: string }) => c.name)).toEqual(['b']);
    expect(res.body.rows).toEqual([['two']]);
  });

  it('returns at most 1,000 rows', async () => {
    const many =
      server.dialect === 'postgres'
        ? 'SELECT g FROM generate_series(1, 5000) AS g'
        : 'WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 5000) SELECT n FROM c';
    const res = await run(many);
    expect(res.status).toBe(200);
    expect(res.body.rows).toHaveLength(1000);
    expect(res.body.rows[999]).toEqual(['1000']);
  });

  it('refuses a result past 16 MiB of text instead of building it', async () => {
    /** `rows` rows of a million characters each. */
    const megabytes = (rows: number) =>
      server.dialect === 'postgres'
        ? `SELECT repeat('x', 1000000) AS big FROM generate_series(1, ${rows})`
        : `WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < ${rows}) ` +
          (server.dialect === 'mysql' ? "SELECT REPEAT('x', 1000000) AS big FROM c" : "SELECT printf('%.*c', 1000000, 'x') AS big FROM c");
    const res = await run(megabytes(20));
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/^Failed to execute query\. Raw error:\nthe result is larger than 16 MiB/);
    // Under the bound, it is answered.
    const fits = await run(megabytes(10));
    expect(fits.status).toBe(200);
    expect(fits.body.rows).toHaveLength(10);
    expect(fits.body.rows[9][0]).toHaveLength(1000000);
    // An earlier statement of a read, and one after a comment, are bounded alike (PostgreSQL and
    // MySQL hand their rows over; SQLite's child steps through them and keeps none).
    if (server.dialect !== 'sqlite') {
      for (const text of [`${megabytes(20)}; SELECT 1`, `/* c */ ${megabytes(20)}`]) {
        const res2 = await run(text);
        expect(res2.status, text).toBe(400);
        expect(res2.body.message).toMatch(/the result is larger than 16 MiB/);
      }
    }
  }, 30_000);

  it('takes no transaction control, and runs nothing but reads in a read', async () => {
    const count = async () => (await api(server, 'GET', '/api/collections/posts/records', { token: su })).body.totalItems;
    const before = await count();
    await expectRefused([
      'SELECT 1; COMMIT; DELETE FROM posts',
      'SELECT 1; ROLLBACK; DELETE FROM posts',
      'SELECT 1; END; DELETE FROM posts',
      "SELECT 1; CREATE TABLE console_side_effect (id TEXT)",
      "VACUUM INTO 'console-copy.db'",
      "DELETE FROM posts WHERE title = 'nothing'; COMMIT; DELETE FROM posts",
      "UPDATE posts SET views = 0; SAVEPOINT s; DELETE FROM posts",
    ], /^Failed to execute query\. Raw error:\n(a read runs SELECT|".*": the console runs a write in a transaction of its own)/);
    expect(await count()).toBe(before);
    expect((await run("SELECT COUNT(*) FROM posts WHERE views = 0")).body.rows[0][0]).toBe('0');
    // A trigger's own BEGIN … END is not transaction control.
    if (server.dialect === 'sqlite') {
      const trigger = await run('CREATE TRIGGER console_trigger AFTER UPDATE ON posts BEGIN SELECT 1; SELECT 2; END');
      expect(trigger.status, JSON.stringify(trigger.body)).toBe(200);
      expect((await run('DROP TRIGGER console_trigger')).status).toBe(200);
    }
  });

  it('refuses ATTACH, DETACH and pragmas that set or act, in reads and writes; runs those that read', async () => {
    const aux = `${server.dataDir}/auxiliary.db`;
    await expectRefused([
      `DELETE FROM posts WHERE title = 'nothing'; ATTACH DATABASE '${aux}' AS aux; DELETE FROM aux._logs`,
      `ATTACH DATABASE '${server.dataDir}/new.db' AS other`,
      'DETACH DATABASE other',
      'PRAGMA hard_heap_limit=0',
      'PRAGMA user_version(7)',
      'SELECT 1; PRAGMA writable_schema = ON',
      "DELETE FROM posts WHERE title = 'nothing'; PRAGMA foreign_keys = OFF",
      'PRAGMA optimize',
      'PRAGMA /* a comment */ cache_size = -1000000',
    ], /^Failed to execute query\. Raw error:\n".*": the console (works on its own database only|runs PRAGMA only to read)/);
    if (server.dialect !== 'sqlite') return;
    const info = await run('PRAGMA table_info(posts)');
    expect(info.status).toBe(200);
    expect(info.body.rows.map((r: string[]) => r[1])).toEqual(expect.arrayContaining(['id', 'title', 'views']));
    for (const text of ['PRAGMA main.index_list("posts")', 'PRAGMA user_version', 'PRAGMA integrity_check', "SELECT name FROM pragma_table_info('posts')"]) {
      expect((await run(text)).status, text).toBe(200);
    }
  });

  it('bounds the memory of a SQLite query: past 256 MB it fails, the server goes on', async () => {
    if (server.dialect !== 'sqlite' || process.platform !== 'linux') return;
    // A 300 MB value: better-sqlite3 disables SQLite's own heap limit, the process's data limit
    // (RLIMIT_DATA) stops it. One allocation, so it fails at once, well within the time budget
    // (a string grown by doubling took seconds on a loaded machine, and met the budget first).
    const res = await run("SELECT octet_length(zeroblob(300000000) || 'x')");
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.message).toBe('Failed to execute query. Raw error:\nout of memory');
    // 40 MB is within the bound.
    const fits = await run("SELECT octet_length(zeroblob(40000000) || 'x')");
    expect(fits.body.rows).toEqual([['40000001']]);
  }, 20_000);

  it('validates the query: required, at most 5,000 characters', async () => {
    const empty = await run('');
    expect(empty.status).toBe(400);
    expect(empty.body.data.query.code).toBe('validation_required');
    const long = await run(`select '${'a'.repeat(4985)}' as id`);
    expect(long.status).toBe(200);
    expect(long.body.rows[0][0]).toHaveLength(4985);
    const tooLong = await run(`select '${'a'.repeat(4986)}' as id`);
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.data.query.code).toBe('validation_length_too_long');
    const notText = await run(12);
    expect(notText.status).toBe(400);
    expect(notText.body.message).toBe('An error occurred while loading the submitted data.');
  });

  it('runs a write and reports the affected rows', async () => {
    const res = await run("UPDATE posts SET views = views + 1 WHERE title <> 'post 1'");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ affectedRows: 2, columns: [], rows: [] });
    const check = await run('SELECT SUM(views) AS s FROM posts');
    expect(Number(check.body.rows[0][0])).toBe(62);
    // The record API sees the change.
    const list = await api(server, 'GET', '/api/collections/posts/records?sort=views', { token: su });
    expect(list.body.items.map((r: { views: number }) => r.views)).toEqual([10, 21, 31]);
  });

  it('runs several writes in one transaction: all or nothing', async () => {
    const ok = await run('CREATE TABLE sql_t (id INT PRIMARY KEY); INSERT INTO sql_t (id) VALUES (1)');
    expect(ok.status).toBe(200);
    expect(ok.body.affectedRows).toBe(1);
    const failed = await run('INSERT INTO sql_t (id) VALUES (2); INSERT INTO sql_t (id) VALUES (1)');
    expect(failed.status).toBe(400);
    expect(failed.body.message).toMatch(/^Failed to execute query\. Raw error:\n/);
    const count = await run('SELECT COUNT(*) FROM sql_t');
    expect(count.body.rows).toEqual([['1']]);
    expect(await objectType(server.baton.services.db, 'sql_t')).toBe('table');
    // Where DDL is transactional, a failure undoes the CREATE too (PocketBase's rollback scenario).
    if (server.dialect !== 'mysql') {
      const undone = await run('CREATE TABLE sql_u (id INT PRIMARY KEY); INSERT INTO sql_u (id) VALUES (1); invalid');
      expect(undone.status).toBe(400);
      expect(await objectType(server.baton.services.db, 'sql_u')).toBeUndefined();
    }
  });

  it('answers a syntax error with the database message', async () => {
    const res = await run('SELECT * FROM WHERE');
    expect(res.status).toBe(400);
    expect(res.body.data).toEqual({});
    expect(res.body.message).toMatch(/^Failed to execute query\. Raw error:\n.*syntax/is);
    // A statement that is neither a write nor a read is refused before the database sees it.
    expect((await run('invalid')).body.message).toMatch(/^Failed to execute query\. Raw error:\na read runs SELECT/);
  });

  it('runs reads read-only', async () => {
    const res = await run("WITH x AS (SELECT 1) DELETE FROM posts WHERE title = 'post 1'");
    expect(res.status).toBe(400);
    const list = await api(server, 'GET', '/api/collections/posts/records', { token: su });
    expect(list.body.totalItems).toBe(3);
  });

  it('stops a query past the budget, and the server goes on', async () => {
    const slow =
      server.dialect === 'postgres'
        ? 'SELECT pg_sleep(30)'
        : server.dialect === 'mysql'
          ? 'SELECT SLEEP(30)'
          : 'WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT count(*) FROM c';
    const started = Date.now();
    const res = await run(slow);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/^Failed to execute query\. Raw error:\n/);
    expect(Date.now() - started).toBeLessThan(10_000);
    const after = await run('SELECT 1 AS one');
    expect(after.status).toBe(200);
  }, 20_000);

  it('bounds a write that would hold the write lock', async () => {
    const slow =
      server.dialect === 'postgres'
        ? 'UPDATE posts SET views = views WHERE pg_sleep(30) IS NOT NULL'
        : server.dialect === 'mysql'
          ? 'UPDATE posts SET views = views WHERE SLEEP(30) = 0'
          : 'INSERT INTO sql_t (id) WITH RECURSIVE c(n) AS (SELECT 100 UNION ALL SELECT n + 1 FROM c) SELECT n FROM c';
    const res = await run(slow);
    expect(res.status).toBe(400);
    // Writes go on afterwards, and the failed one left nothing.
    const write = await api(server, 'POST', '/api/collections/posts/records', { token: su, body: { title: 'after' } });
    expect(write.status).toBe(200);
    const count = await run('SELECT COUNT(*) FROM sql_t');
    expect(count.body.rows).toEqual([['1']]);
  }, 30_000);
});
