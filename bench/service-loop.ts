// Benchmark: a guest's `records.view` and `records.list` (30 per page) called in a loop in one
// process, with no HTTP in between: the cost of the service and database layers alone, steady
// enough on a noisy machine to compare two builds. Seeds the bench's 10,000 posts into a
// temporary directory, or copies a directory seeded before (--data, with the ids.json this script
// writes beside it with --keep).
// For an A/B of two checkouts, run it from each (--root: where src/ is), pinned, in turns:
//   taskset -c 1 node --import tsx bench/service-loop.ts [--root=DIR] [--data=DIR] [--keep=DIR] [--rounds=5]
//     [--max-response-size=BYTES]   (e.g. 100000: every list page of 30 posts is then weighed by a
//                                    query of its own before it is read, see RecordService.list)
//     [--db=URL]                     (an empty PostgreSQL or MySQL database to seed and measure on,
//                                    in place of SQLite; with --keep, --data then reuses it as seeded)
// Prints the median µs per call of each.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { median, root as repo, seed } from './support.ts';

const { values } = parseArgs({
  options: {
    root: { type: 'string' }, data: { type: 'string' }, keep: { type: 'string' }, rounds: { type: 'string' },
    'max-response-size': { type: 'string' }, db: { type: 'string' },
  },
});
const root = path.resolve(values.root ?? repo);
const ROUNDS = Number(values.rounds ?? 5);

const dir = mkdtempSync(path.join(tmpdir(), 'baton-service-loop-'));
try {
  let ids: string[];
  if (values.data) {
    cpSync(values.data, dir, { recursive: true });
    ids = JSON.parse(readFileSync(path.join(values.data, 'ids.json'), 'utf8'));
  } else {
    ({ ids } = await seed(dir, values.db));
    if (values.keep) {
      mkdirSync(values.keep, { recursive: true });
      cpSync(dir, values.keep, { recursive: true });
      writeFileSync(path.join(values.keep, 'ids.json'), JSON.stringify(ids));
    }
  }
  // The checkout under test, loaded from its sources (tsx).
  const { openBaton } = await import(path.join(root, 'src/cli/wire.ts'));
  const { systemContext, GUEST } = await import(path.join(root, 'src/domain/context.ts'));
  const { silentLogger } = await import(path.join(root, 'src/kernel/logger.ts'));
  const maxResponseBytes = values['max-response-size'] ? Number(values['max-response-size']) : undefined;
  const baton = await openBaton({ dataDir: dir, db: values.db, logger: silentLogger, responseLimits: maxResponseBytes ? { maxResponseBytes } : undefined });
  const ctx = systemContext(silentLogger, GUEST);
  const { records } = baton.services;

  const perCall = async (calls: number, f: (i: number) => Promise<unknown>): Promise<number> => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) await f(i);
    return Number(process.hrtime.bigint() - started) / calls / 1000;
  };
  const view = (i: number) => records.view(ctx, 'posts', ids[(i * 7919) % ids.length], {});
  const list = (i: number) => records.list(ctx, 'posts', { page: String(1 + (i % 50)), perPage: '30' });
  await perCall(50_000, view);
  await perCall(2_000, list);
  const views: number[] = [];
  const lists: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    views.push(await perCall(100_000, view));
    lists.push(await perCall(3_000, list));
  }
  await baton.close();
  const show = (xs: number[]) => `${median(xs).toFixed(2)} µs [${xs.map((x) => x.toFixed(2)).join(', ')}]`;
  console.log(`${root}: view ${show(views)}; list of 30 ${show(lists)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
