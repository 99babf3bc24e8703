// The bare baseline on MySQL/MariaDB: node:http + the driver Baton uses there (mysql2/promise, a
// pool of 10 connections, as in src/db/dialects/mysql-database.ts) answering the benchmark's
// three requests with hand-written SQL over the same `posts` table Baton serves. No framework, no
// rules, no validation. `execute` runs prepared statements, cached per connection by mysql2.
// Usage: node --import tsx bench/baseline-mysql.ts mysql://… PORT
import mysql from 'mysql2/promise';
import { type Row, serveBaseline } from './baseline-http.ts';

const [url, portArg] = process.argv.slice(2);
const pool = mysql.createPool({ uri: url.replace(/^mariadb:/i, 'mysql:'), connectionLimit: 10 });

const rows = async (text: string, params: unknown[]) => (await pool.execute(text, params as never[]))[0] as Row[];

// BOOLEAN is TINYINT(1): 0/1 on the wire.
const toJson = (r: Row) => ({ ...r, published: r.published === 1, collectionName: 'posts' });

const VIEW = 'SELECT * FROM posts WHERE id = ?';

serveBaseline(Number(portArg), {
  // The page and the total are sent together, on two pooled connections, as Baton does.
  list: async (min) => {
    const [items, [{ n }]] = await Promise.all([
      rows('SELECT * FROM posts WHERE views > ? AND published = TRUE ORDER BY created DESC LIMIT 30 OFFSET 0', [min]),
      rows('SELECT COUNT(*) AS n FROM posts WHERE views > ? AND published = TRUE', [min]),
    ]);
    return { items: items.map(toJson), total: Number(n) };
  },
  view: async (id) => {
    const [row] = await rows(VIEW, [id]);
    return row && toJson(row);
  },
  // MySQL has no RETURNING: the stored row is read back, as the SQLite baseline does.
  create: async (p) => {
    await rows('INSERT INTO posts (id, title, views, published, created, updated) VALUES (?, ?, ?, ?, ?, ?)', [
      p.id, p.title, p.views, p.published ? 1 : 0, p.now, p.now,
    ]);
    const [row] = await rows(VIEW, [p.id]);
    return toJson(row);
  },
  close: () => pool.end(),
});
