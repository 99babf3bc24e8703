// Benchmark: the attack on records lists with large JSON values (docs/performance.md, "Weighing a
// list page"): 340 records whose JSON field holds 90,000 small numbers (~180 KB each, 61 MB in
// all), listed by a guest 1,000 per page, with `fields=id` and without. Calls RecordService.list in
// one process (no HTTP: the byte limit's 400 on the body is not included), on SQLite, and prints
// for each the time of the call, the longest the event loop was held meanwhile and the RSS after.
// For an A/B of two checkouts, run it from each (--root: where src/ is):
//   node --import tsx bench/large-json-list.ts [--root=DIR] [--records=340] [--numbers=90000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { root as repo } from './support.ts';

const { values } = parseArgs({ options: { root: { type: 'string' }, records: { type: 'string' }, numbers: { type: 'string' } } });
const root = path.resolve(values.root ?? repo);
const RECORDS = Number(values.records ?? 340);
const NUMBERS = Number(values.numbers ?? 90_000);

const dir = mkdtempSync(path.join(tmpdir(), 'baton-large-json-'));
try {
  const { openBaton } = await import(path.join(root, 'src/cli/wire.ts'));
  const { systemContext, GUEST } = await import(path.join(root, 'src/domain/context.ts'));
  const { silentLogger } = await import(path.join(root, 'src/kernel/logger.ts'));
  const { parseFieldsParam } = await import(path.join(root, 'src/domain/records/picker.ts'));
  const { ident, sql } = await import(path.join(root, 'src/db/sql.ts'));
  const baton = await openBaton({ dataDir: dir, logger: silentLogger });
  const { records, db, collections } = baton.services;
  const superuser = systemContext(silentLogger, { kind: 'superuser', collection: baton.services.schema.find('_superusers'), record: {} });
  await collections.create(superuser, {
    name: 'tags', type: 'base', listRule: '', viewRule: '',
    fields: [{ name: 'data', type: 'json', maxSize: 4 << 20 }],
  });
  const data = JSON.stringify(Array.from({ length: NUMBERS }, (_, i) => i % 10));
  for (let i = 0; i < RECORDS; i++) {
    await db.run(sql`INSERT INTO ${ident('tags')} (${ident('id')}, ${ident('data')}) VALUES (${`tag${String(i).padStart(12, '0')}`}, ${data})`);
  }
  const guest = systemContext(silentLogger, GUEST);
  const measure = async (name: string, call: () => Promise<{ items: unknown[] }>) => {
    // The longest gap between two turns of a spinning setImmediate: how long the loop was held.
    let last = performance.now();
    let held = 0;
    let spinning = true;
    const spin = () => {
      const now = performance.now();
      held = Math.max(held, now - last);
      last = now;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    await new Promise((resolve) => setImmediate(resolve));
    held = 0;
    const started = performance.now();
    let outcome: string;
    try {
      outcome = `${(await call()).items.length} items`;
    } catch (e) {
      outcome = `refused: ${(e as Error).message.slice(0, 40)}…`;
    }
    const ms = performance.now() - started;
    await new Promise((resolve) => setImmediate(resolve));
    spinning = false;
    const rss = process.memoryUsage().rss / 2 ** 20;
    console.log(`${name}: ${ms.toFixed(0)} ms, loop held up to ${held.toFixed(0)} ms, RSS ${rss.toFixed(0)} MiB (${outcome})`);
  };
  console.log(`${root}: ${RECORDS} records of ${(data.length / 1024).toFixed(0)} KB`);
  await measure('fields=id', () => records.list(guest, 'tags', { perPage: '1000', skipTotal: '1', fields: 'id' }, parseFieldsParam('id')));
  await measure('every field', () => records.list(guest, 'tags', { perPage: '1000', skipTotal: '1' }));
  await measure('every field, 100 a page', () => records.list(guest, 'tags', { perPage: '100', skipTotal: '1' }));
  await baton.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
