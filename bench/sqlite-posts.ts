// The SQLite baselines' database work (bench/baseline.ts over node:http, bench/baseline-fastify.ts
// over Fastify): better-sqlite3 with hand-written, prepared SQL over the `posts` table of a copy of
// the data.db Baton serves. No rules, no validation, no schema cache.
import Database from 'better-sqlite3';
import type { BaselineHandlers, Row } from './baseline-http.ts';

export function openSqlitePosts(dbFile: string): BaselineHandlers {
  const db = new Database(dbFile);
  // As Baton opens its connections (src/db/dialects/sqlite-database.ts).
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');

  const list = db.prepare('SELECT * FROM posts WHERE views > ? AND published = 1 ORDER BY created DESC LIMIT 30 OFFSET 0');
  const count = db.prepare('SELECT COUNT(*) AS n FROM posts WHERE views > ? AND published = 1');
  const view = db.prepare('SELECT * FROM posts WHERE id = ?');
  const insert = db.prepare('INSERT INTO posts (id, title, views, published, created, updated) VALUES (?, ?, ?, ?, ?, ?)');
  const { id: collectionId } = db.prepare("SELECT id FROM _collections WHERE name = 'posts'").get() as { id: string };

  // Baton's record shape: the collection first, then the fields, booleans as booleans.
  const toJson = (r: Row) => ({ collectionId, collectionName: 'posts', ...r, published: r.published === 1 });

  return {
    list: (min) => ({ items: (list.all(min) as Row[]).map(toJson), total: (count.get(min) as { n: number }).n }),
    view: (id) => {
      const row = view.get(id) as Row | undefined;
      return row && toJson(row);
    },
    create: (p) => {
      insert.run(p.id, p.title, p.views, p.published ? 1 : 0, p.now, p.now);
      return toJson(view.get(p.id) as Row);
    },
    close: async () => void db.close(),
  };
}
