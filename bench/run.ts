// `npm run bench`: picks a mode. Each mode parses its own flags.
//   (default)  bench/databases.ts: Baton against a bare node:http baseline on SQLite, PostgreSQL and
//              MySQL/MariaDB, 10 connections, unpinned, Baton's logs at warn
//   --pinned   bench/pinned.ts: Baton as shipped (logs at info) against a hand-written Fastify
//              server on SQLite, both pinned to one core, the load generator on the other,
//              32 connections, rounds alternating
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  const { readFileSync } = await import('node:fs');
  // The usage is each mode's header comment: one text to keep current, not two.
  for (const file of ['databases.ts', 'pinned.ts']) {
    const text = readFileSync(new URL(file, import.meta.url), 'utf8');
    const lines = text.split('\n');
    const header = lines.slice(0, lines.findIndex((l) => !l.startsWith('//')));
    console.log(`bench/${file}\n${header.map((l) => l.replace(/^\/\/ ?/, '  ')).join('\n')}\n`);
  }
} else if (args.includes('--pinned')) {
  await import('./pinned.ts');
} else {
  await import('./databases.ts');
}
