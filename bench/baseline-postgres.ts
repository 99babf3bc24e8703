// The bare baseline on PostgreSQL: node:http + the driver Baton uses there (`postgres`,
// Postgres.js, with its prepared statements and a pool of 10 connections, as in
// src/db/dialects/postgres-database.ts) answering the benchmark's three requests with
// hand-written SQL over the same `posts` table Baton serves. No framework, no rules, no validation.
// Usage: node --import tsx bench/baseline-postgres.ts postgres://… PORT
import postgres from 'postgres';
import { type Row, serveBaseline } from './baseline-http.ts';

const [url, portArg] = process.argv.slice(2);
// Tagged queries are prepared statements (Postgres.js's default), cached per connection.
const sql = postgres(url, { max: 10 });

const toJson = (r: Row) => ({ ...r, collectionName: 'posts' });

serveBaseline(Number(portArg), {
  // The page and the total are sent together, on two pooled connections, as Baton does.
  list: async (min) => {
    const [rows, [{ n }]] = await Promise.all([
      sql`SELECT * FROM posts WHERE views > ${min} AND published = true ORDER BY created DESC LIMIT 30 OFFSET 0`,
      sql`SELECT COUNT(*)::int AS n FROM posts WHERE views > ${min} AND published = true`,
    ]);
    return { items: rows.map(toJson), total: n as number };
  },
  view: async (id) => {
    const [row] = await sql`SELECT * FROM posts WHERE id = ${id}`;
    return row && toJson(row);
  },
  // One round trip: PostgreSQL returns the stored row.
  create: async (p) => {
    const [row] = await sql`INSERT INTO posts (id, title, views, published, created, updated)
      VALUES (${p.id}, ${p.title}, ${p.views}, ${p.published}, ${p.now}, ${p.now}) RETURNING *`;
    return toJson(row);
  },
  close: () => sql.end({ timeout: 1 }),
});
