// The bare baseline on PostgreSQL: node:http + the driver Baton uses there (`postgres`,
// Postgres.js, with its prepared statements and a pool of 10 connections, as in
// src/db/dialects/postgres-database.ts) answering the benchmark's three requests with
// hand-written SQL over the same `posts` table Baton serves. No framework, no rules, no validation.
// Usage: node --import tsx bench/baseline-postgres.ts postgres://… PORT
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

const [url, portArg] = process.argv.slice(2);
// Tagged queries are prepared statements (Postgres.js's default), cached per connection.
const sql = postgres(url, { max: 10 });

const toJson = (r: Record<string, unknown>) => ({ ...r, collectionName: 'posts' });

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const fail = (e: unknown) => {
    if (!stopping) console.error(e);
    send(500, { status: 500 });
  };
  if (req.method === 'GET' && url.pathname === '/list') {
    const min = Number(url.searchParams.get('min') ?? 0);
    // The page and the total are sent together, on two pooled connections, as Baton does.
    Promise.all([
      sql`SELECT * FROM posts WHERE views > ${min} AND published = true ORDER BY created DESC LIMIT 30 OFFSET 0`,
      sql`SELECT COUNT(*)::int AS n FROM posts WHERE views > ${min} AND published = true`,
    ]).then(([rows, [{ n }]]) => {
      send(200, { items: rows.map(toJson), page: 1, perPage: 30, totalItems: n, totalPages: Math.ceil(n / 30) });
    }, fail);
    return;
  }
  if (req.method === 'GET' && url.pathname.startsWith('/view/')) {
    sql`SELECT * FROM posts WHERE id = ${url.pathname.slice(6)}`.then(([row]) => (row ? send(200, toJson(row)) : send(404, { status: 404 })), fail);
    return;
  }
  if (req.method === 'POST' && url.pathname === '/create') {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const input = JSON.parse(body || '{}');
      const id = randomBytes(8).toString('hex').slice(0, 15);
      const now = new Date().toISOString().replace('T', ' ');
      // One round trip: PostgreSQL returns the stored row.
      sql`INSERT INTO posts (id, title, views, published, created, updated)
          VALUES (${id}, ${String(input.title ?? '')}, ${Number(input.views ?? 0)}, ${!!input.published}, ${now}, ${now})
          RETURNING *`.then(([row]) => send(200, toJson(row)), fail);
    });
    return;
  }
  send(404, { status: 404 });
});
server.listen(Number(portArg), '127.0.0.1', () => process.stdout.write('ready\n'));
let stopping = false;
const stop = () => {
  // Requests still in flight fail once the pool is closed: that is the run ending, not an error.
  stopping = true;
  void sql.end({ timeout: 1 }).finally(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
