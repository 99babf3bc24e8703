// The bare baseline: node:http + better-sqlite3 answering the benchmark's three requests with
// hand-written SQL over the same data.db Baton serves. No framework, no rules, no validation.
import Database from 'better-sqlite3';
import { type Row, serveBaseline } from './baseline-http.ts';

const [dbFile, portArg] = process.argv.slice(2);
const db = new Database(dbFile);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');

const list = db.prepare('SELECT * FROM posts WHERE views > ? AND published = 1 ORDER BY created DESC LIMIT 30 OFFSET 0');
const count = db.prepare('SELECT COUNT(*) AS n FROM posts WHERE views > ? AND published = 1');
const view = db.prepare('SELECT * FROM posts WHERE id = ?');
const insert = db.prepare('INSERT INTO posts (id, title, views, published, created, updated) VALUES (?, ?, ?, ?, ?, ?)');

const toJson = (r: Row) => ({ ...r, published: r.published === 1, collectionName: 'posts' });

serveBaseline(Number(portArg), {
  list: (min) => ({ items: (list.all(min) as Row[]).map(toJson), total: (count.get(min) as { n: number }).n }),
  view: (id) => {
    const row = view.get(id) as Row | undefined;
    return row && toJson(row);
  },
  create: (p) => {
    insert.run(p.id, p.title, p.views, p.published ? 1 : 0, p.now, p.now);
    return toJson(view.get(p.id) as Row);
  },
});
