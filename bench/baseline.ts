// The bare baseline: node:http + better-sqlite3 answering the benchmark's three requests with
// hand-written SQL over the same data.db Baton serves. No framework, no rules, no validation.
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';

const [dbFile, portArg] = process.argv.slice(2);
const db = new Database(dbFile);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');

const list = db.prepare('SELECT * FROM posts WHERE views > ? AND published = 1 ORDER BY created DESC LIMIT 30 OFFSET 0');
const count = db.prepare('SELECT COUNT(*) AS n FROM posts WHERE views > ? AND published = 1');
const view = db.prepare('SELECT * FROM posts WHERE id = ?');
const insert = db.prepare('INSERT INTO posts (id, title, views, published, created, updated) VALUES (?, ?, ?, ?, ?, ?)');

const toJson = (r: Record<string, unknown>) => ({ ...r, published: r.published === 1, collectionName: 'posts' });

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.method === 'GET' && url.pathname === '/list') {
    const min = Number(url.searchParams.get('min') ?? 0);
    const items = (list.all(min) as Record<string, unknown>[]).map(toJson);
    const total = (count.get(min) as { n: number }).n;
    return send(200, { items, page: 1, perPage: 30, totalItems: total, totalPages: Math.ceil(total / 30) });
  }
  if (req.method === 'GET' && url.pathname.startsWith('/view/')) {
    const row = view.get(url.pathname.slice(6)) as Record<string, unknown> | undefined;
    return row ? send(200, toJson(row)) : send(404, { status: 404 });
  }
  if (req.method === 'POST' && url.pathname === '/create') {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const input = JSON.parse(body || '{}');
      const id = randomBytes(8).toString('hex').slice(0, 15);
      const now = new Date().toISOString().replace('T', ' ');
      insert.run(id, String(input.title ?? ''), Number(input.views ?? 0), input.published ? 1 : 0, now, now);
      send(200, toJson(view.get(id) as Record<string, unknown>));
    });
    return;
  }
  send(404, { status: 404 });
});
server.listen(Number(portArg), '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGINT', () => process.exit(0));
