// The bare baseline on MySQL/MariaDB: node:http + the driver Baton uses there (mysql2/promise, a
// pool of 10 connections, as in src/db/dialects/mysql-database.ts) answering the benchmark's
// three requests with hand-written SQL over the same `posts` table Baton serves. No framework, no
// rules, no validation. `execute` runs prepared statements, cached per connection by mysql2.
// Usage: node --import tsx bench/baseline-mysql.ts mysql://… PORT
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';

const [url, portArg] = process.argv.slice(2);
const pool = mysql.createPool({ uri: url.replace(/^mariadb:/i, 'mysql:'), connectionLimit: 10 });

type Row = Record<string, unknown>;
const rows = async (text: string, params: unknown[]) => (await pool.execute(text, params as never[]))[0] as Row[];

// BOOLEAN is TINYINT(1): 0/1 on the wire.
const toJson = (r: Row) => ({ ...r, published: r.published === 1, collectionName: 'posts' });

const LIST = 'SELECT * FROM posts WHERE views > ? AND published = TRUE ORDER BY created DESC LIMIT 30 OFFSET 0';
const COUNT = 'SELECT COUNT(*) AS n FROM posts WHERE views > ? AND published = TRUE';
const VIEW = 'SELECT * FROM posts WHERE id = ?';
const INSERT = 'INSERT INTO posts (id, title, views, published, created, updated) VALUES (?, ?, ?, ?, ?, ?)';

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
    Promise.all([rows(LIST, [min]), rows(COUNT, [min])]).then(([items, [{ n }]]) => {
      const total = Number(n);
      send(200, { items: items.map(toJson), page: 1, perPage: 30, totalItems: total, totalPages: Math.ceil(total / 30) });
    }, fail);
    return;
  }
  if (req.method === 'GET' && url.pathname.startsWith('/view/')) {
    rows(VIEW, [url.pathname.slice(6)]).then(([row]) => (row ? send(200, toJson(row)) : send(404, { status: 404 })), fail);
    return;
  }
  if (req.method === 'POST' && url.pathname === '/create') {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const input = JSON.parse(body || '{}');
      const id = randomBytes(8).toString('hex').slice(0, 15);
      const now = new Date().toISOString().replace('T', ' ');
      // MySQL has no RETURNING: the stored row is read back, as the SQLite baseline does.
      rows(INSERT, [id, String(input.title ?? ''), Number(input.views ?? 0), input.published ? 1 : 0, now, now])
        .then(() => rows(VIEW, [id]))
        .then(([row]) => send(200, toJson(row)), fail);
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
  void pool.end().finally(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
