// Worst-case client filters: the costliest filters a guest may send to a public collection, timed
// against SQLite (docs/performance.md, "Worst-case client filters"). Five collections chained by
// multi relations, `--rows` records each, every multi relation holding 0..`--links` random ids.
// Each query runs in a child process killed after `--timeout` seconds, since better-sqlite3 cannot
// interrupt a running statement. Prints a markdown table: the cost estimate charged to the filter
// (FILTER_LIMITS.maxClientFilterCost), compile time, and `SELECT count(*)` time, or "refused".
// Usage: node --import tsx bench/filter-worst-case.ts [--rows=5000] [--links=5] [--timeout=60] [--only=regex]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { SqliteDialect } from '../src/db/dialects/sqlite.ts';
import type { Collection, FieldDef } from '../src/db/schema.ts';
import { ident, render, sql } from '../src/db/sql.ts';
import { compileWhereWithCost } from '../src/filter/compile.ts';
import { FilterError, emptyRequestInfo } from '../src/filter/index.ts';

if (process.argv[2] === '--exec') {
  // Child: run one query, print its time.
  const [file, queryFile] = process.argv.slice(3);
  const { text, params } = JSON.parse(readFileSync(queryFile, 'utf8')) as { text: string; params: unknown[] };
  const stmt = new Database(file, { readonly: true }).prepare(text);
  const t = performance.now();
  stmt.get(...params);
  process.stdout.write(String(performance.now() - t));
  process.exit(0);
}

const { values } = parseArgs({ options: { rows: { type: 'string' }, links: { type: 'string' }, timeout: { type: 'string' }, only: { type: 'string' } } });
const ROWS = Number(values.rows ?? 5000);
const LINKS = Number(values.links ?? 5);
const TIMEOUT = Number(values.timeout ?? 60);
const ONLY = new RegExp(values.only ?? '.');

const field = (name: string, type: FieldDef['type'], opts: Record<string, unknown> = {}): FieldDef =>
  ({ id: `f_${name}`, name, type, system: false, hidden: false, presentable: false, ...opts });
const rel = (name: string, target: string, maxSelect: number) => field(name, 'relation', { collectionId: `c_${target}`, maxSelect });
const collection = (name: string, fields: FieldDef[]): Collection => ({
  id: `c_${name}`, name, type: 'base', system: false, fields: [field('id', 'text'), ...fields], indexes: [],
  listRule: '', viewRule: '', createRule: '', updateRule: '', deleteRule: '', created: '', updated: '', options: {},
});
const COLLECTIONS = [
  collection('users', [field('name', 'text'), rel('friends', 'users', 10), rel('teams', 'teams', 10)]),
  collection('teams', [field('name', 'text'), rel('members', 'users', 10), rel('projects', 'projects', 10)]),
  collection('projects', [field('name', 'text'), rel('owner', 'users', 1), rel('tasks', 'tasks', 10), rel('tags', 'tags', 10)]),
  collection('tasks', [field('title', 'text'), rel('project', 'projects', 1), rel('assignees', 'users', 10), rel('tags', 'tags', 10), rel('blockers', 'tasks', 10)]),
  collection('tags', [field('name', 'text'), rel('related', 'tags', 10)]),
];
const schema = { find: (x: string) => COLLECTIONS.find((c) => c.id === x || c.name === x), all: () => COLLECTIONS };
const tasks = schema.find('tasks') as Collection;

/** The database file for these sizes, built once (deterministic PRNG). */
function database(): string {
  const file = path.join(tmpdir(), `baton-filter-worst-${ROWS}-${LINKS}.db`);
  if (existsSync(file)) return file;
  let seed = ROWS * 31 + LINKS;
  const random = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const id = (c: string, i: number) => `${c.slice(0, 2)}${String(i).padStart(13, '0')}`;
  const db = new Database(`${file}.tmp`);
  for (const c of COLLECTIONS) {
    db.exec(`CREATE TABLE "${c.name}" (${c.fields.map((f) => `"${f.name}" ${f.name === 'id' ? 'TEXT PRIMARY KEY NOT NULL' : f.maxSelect !== undefined && Number(f.maxSelect) > 1 ? "JSON DEFAULT '[]' NOT NULL" : "TEXT DEFAULT '' NOT NULL"}`).join(', ')})`);
    const insert = db.prepare(`INSERT INTO "${c.name}" VALUES (${c.fields.map(() => '?').join(', ')})`);
    db.transaction(() => {
      for (let i = 0; i < ROWS; i++) {
        insert.run(...c.fields.map((f) => {
          if (f.name === 'id') return id(c.name, i);
          if (f.type !== 'relation') return `${f.name}_${Math.floor(random() * ROWS)}`;
          const target = String(f.collectionId).slice(2);
          if (Number(f.maxSelect) <= 1) return id(target, Math.floor(random() * ROWS));
          return JSON.stringify(Array.from({ length: Math.floor(random() * (LINKS + 1)) }, () => id(target, Math.floor(random() * ROWS))));
        }));
      }
    })();
  }
  db.close();
  renameSync(`${file}.tmp`, file);
  return file;
}

const blockers = (d: number) => `${'blockers.'.repeat(d)}title`;
const tags = (d: number) => `tags.${'related.'.repeat(d - 1)}name`;
const friends = (d: number) => `assignees.${'friends.'.repeat(d - 1)}name`;
const team6 = 'assignees.teams.projects.tasks.assignees.friends.name';
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
// `?~ 'zz'` never matches and cannot use an index: every joined row is read. `>= 'title_10'` fails
// for few titles, so the all-of check rarely stops early.
const FILTERS: Array<[string, string]> = [
  ['2 paths of 6 multi steps in one ||', `(${blockers(6)} ?~ 'zz' || ${tags(6)} ?~ 'zz')`],
  ['4 paths of 6 multi steps in one ||', `(${blockers(6)} ?~ 'zz' || ${tags(6)} ?~ 'zz' || ${friends(6)} ?~ 'zz' || ${team6} ?~ 'zz')`],
  ['40 all-of over 6 multi steps', range(40).map((i) => `${[blockers(6), tags(6), friends(6)][i % 3]} !~ 'zz${i}'`).join(' && ')],
  ['many-vs-many, 6 x 6 multi steps', `${blockers(6)} != ${tags(6)}`],
  ['all-of over 6 multi steps', `${blockers(6)} >= 'title_10'`],
  ['one path of 6 multi steps', `${blockers(6)} ?~ 'zz'`],
  ['one path of 5 multi steps', `${blockers(5)} ?~ 'zz'`],
  ['3 + 2 multi steps in one ||', `(${blockers(3)} ?~ 'zz' || ${tags(2)} ?~ 'zz')`],
  ['25 all-of over 5 different paths', range(25).map((i) => `${['assignees', 'tags', 'blockers', 'tasks_via_blockers', 'projects_via_tasks'][i % 5]}.id !~ 'zz${i}'`).join(' && ')],
  ['multi back-relation, 1 step', "tasks_via_blockers.title ?~ 'zz'"],
  ['multi back-relation, 2 steps', "tasks_via_blockers.tasks_via_blockers.title ?~ 'zz'"],
  ['multi back-relation, 2 steps, all-of', "tasks_via_blockers.tasks_via_blockers.title >= 'title_10'"],
  // the costliest shapes admitted
  ['one path of 4 multi steps', `${blockers(4)} ?~ 'zz'`],
  ['2 + 2 multi steps in one ||', `(${blockers(2)} ?~ 'zz' || ${tags(2)} ?~ 'zz')`],
  ['3 + 1 multi steps in one ||', `(${blockers(3)} ?~ 'zz' || ${friends(1)} ?~ 'zz')`],
  ['all-of over 2 multi steps', `${blockers(2)} >= 'title_10'`],
  ['8 all-of over 5 different paths', range(8).map((i) => `${['assignees', 'tags', 'blockers', 'tasks_via_blockers', 'projects_via_tasks'][i % 5]}.id !~ 'zz${i}'`).join(' && ')],
  ['10 all-of over one path', range(10).map((i) => `${blockers(1)} >= 'title_1${i}'`).join(' && ')],
];

const dialect = new SqliteDialect();
const file = database();
const queryFile = path.join(mkdtempSync(path.join(tmpdir(), 'baton-filter-')), 'query.json');
const bindable = (v: unknown) => (typeof v === 'boolean' ? (v ? 1 : 0) : v);
console.log(`${ROWS} records per collection, 0-${LINKS} links per multi relation, timeout ${TIMEOUT} s, Node ${process.version}\n`);
console.log('| filter | estimate | compile ms | query ms |\n|---|---|---|---|');
for (const [name, filter] of FILTERS) {
  if (!ONLY.test(name)) continue;
  const t0 = performance.now();
  let compiled;
  try {
    compiled = compileWhereWithCost([{ filter, allowHiddenFields: false }], { dialect, schema, collection: tasks, request: emptyRequestInfo() });
  } catch (e) {
    if (!(e instanceof FilterError)) throw e;
    const estimate = /estimated (.+) related rows/.exec(e.reason)?.[1];
    console.log(`| ${name} | ${estimate ?? '-'} | ${(performance.now() - t0).toFixed(1)} | refused: ${estimate ? 'too costly' : e.reason} |`);
    continue;
  }
  const compileMs = performance.now() - t0;
  const q = render(sql`SELECT count(*) FROM ${ident('tasks')} WHERE ${compiled.sql}`, dialect);
  writeFileSync(queryFile, JSON.stringify({ text: q.text, params: q.params.map(bindable) }));
  const child = spawnSync(process.execPath, [...process.execArgv, import.meta.filename, '--exec', file, queryFile], { timeout: TIMEOUT * 1000, encoding: 'utf8' });
  const ms = child.status === 0 ? Number(child.stdout).toFixed(0) : child.signal ? `> ${TIMEOUT * 1000} (killed)` : `error: ${child.stderr.trim().split('\n')[0]}`;
  console.log(`| ${name} | ${compiled.clientCost} | ${compileMs.toFixed(1)} | ${ms} |`);
}
