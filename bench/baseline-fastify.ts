// The hand-written Fastify baseline (the pinned mode's default, bench/pinned.ts): Fastify 5 +
// better-sqlite3 answering Baton's own three URLs with hand-written SQL over a copy of the data.db
// Baton serves, as one would write the server by hand: async handlers returning plain objects,
// Fastify's defaults (no logger, no response schema), no rules, no validation. The list filter is
// compiled by hand: the route always answers `views > 500 && published = true`, sorted by -created.
// Usage: node --import tsx bench/baseline-fastify.ts path/to/data.db PORT
import Fastify from 'fastify';
import { newPost } from './baseline-http.ts';
import { openSqlitePosts } from './sqlite-posts.ts';

const [dbFile, portArg] = process.argv.slice(2);
const posts = openSqlitePosts(dbFile);
const app = Fastify();
const base = '/api/collections/posts/records';

app.get(base, async () => {
  const { items, total } = await posts.list(500);
  return { page: 1, perPage: 30, totalItems: total, totalPages: Math.ceil(total / 30), items };
});

app.get<{ Params: { id: string } }>(`${base}/:id`, async (request, reply) => {
  const row = await posts.view(request.params.id);
  if (!row) return reply.code(404).send({ status: 404, message: 'The requested resource wasn\'t found.', data: {} });
  return row;
});

app.post<{ Body: Record<string, unknown> }>(base, async (request) => posts.create(newPost(request.body ?? {})));

await app.listen({ host: '127.0.0.1', port: Number(portArg) });
process.stdout.write('ready\n');
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void app.close().then(() => posts.close?.()).finally(() => process.exit(0)));
}
