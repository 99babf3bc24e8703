/**
 * `baton migrate copy`: a whole Baton from one database to another (SQLite directory, PostgreSQL,
 * MySQL/MariaDB, any direction). The target is built only through the dialect (system tables,
 * `syncRecordTable` for each collection, `createView`), so it is exactly what Baton would have
 * made there itself; rows travel in keyset-paginated batches as normalised values and are written
 * with bound parameters. Afterwards every table is read back on both ends and compared.
 */
import { cpSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { checkDistinct, checkNotSameDatabase, openEnd, sameDir, type OpenedEnd } from './migrate-copy-ends.ts';
import { planCopy, type CopyOptions, type Plan } from './migrate-copy-plan.ts';
import { verify, type TableCheck } from './migrate-copy-verify.ts';
import { asError, CopyError } from './migrate-copy-tables.ts';
import { runCopy } from './migrate-copy-write.ts';
import { undoNewDirectory } from './new-directory.ts';
import { batonCommand } from './invocation.ts';

export interface CopyReport {
  /** Every table verified equal and every view created. */
  ok: boolean;
  /** The target was written in one transaction. */
  transactional: boolean;
  tables: TableCheck[];
  /** Views the target database refused (their query is SQL of the source database). */
  failedViews: Array<{ name: string; error: string }>;
  /** Whether `storage/` was copied, and why not. */
  storage: { copied: boolean; note: string };
}

/** Copies `storage/` when both ends have a directory of their own; otherwise says where the files are. */
function copyStorage(plan: Plan): CopyReport['storage'] {
  const { source, target } = plan;
  if (source.dir && target.dir && !sameDir(source.dir, target.dir)) {
    const from = path.join(source.dir, 'storage');
    const to = path.join(target.dir, 'storage');
    if (!existsSync(from)) return { copied: false, note: `${from} does not exist: no files to copy` };
    if (plan.force) rmSync(to, { recursive: true, force: true });
    cpSync(from, to, { recursive: true, errorOnExist: false, force: true });
    return { copied: true, note: `copied ${from} to ${to}` };
  }
  if (source.dir && target.dir) return { copied: false, note: `${path.join(source.dir, 'storage')} is used by both ends as it is` };
  if (source.dir) {
    return {
      copied: false,
      note: `they stay in ${path.join(source.dir, 'storage')}: serve with \`${batonCommand()} serve --db=${target.label} --dir=${source.dir}\``,
    };
  }
  if (target.dir) return { copied: false, note: `the source is a database URL: copy the storage/ folder of the directory it is served with (--dir) into ${target.dir}` };
  return { copied: false, note: 'no directory on either end: storage/ folders are not copied' };
}

/** Copies a whole Baton from one database (and directory) to another, then verifies it; see the module comment. */
export async function copyBaton(options: CopyOptions): Promise<CopyReport> {
  const { log } = options;
  checkDistinct(options.from, options.to);
  const source = await openEnd(options.from, 'source');
  // A copy that fails before it has written the target leaves no target directory it made (on
  // SQLite, the target's one transaction was then rolled back: the directory holds nothing).
  const undoTargetDir = options.to.dir && !options.to.url ? undoNewDirectory(options.to.dir) : () => undefined;
  let written = false;
  let target: OpenedEnd | undefined;
  try {
    target = await openEnd(options.to, 'target');
    await checkNotSameDatabase(source, target);
    const plan = await planCopy(source, target, options);
    const transactional = target.dbs.data.dialect.caps.transactionalDdl;
    const tableCount = plan.systemData.length + plan.tables.length + plan.systemAux.length;
    log(
      `copying ${source.label} (${source.kind}) to ${target.label} (${target.kind}): ` +
        `${plan.tables.length} collections and ${plan.views.length} views (${tableCount} tables with Baton's system tables)`,
    );
    log(
      transactional
        ? 'the target is written in one transaction: an interrupted copy leaves it as it was'
        : `${target.kind} cannot roll back table changes: if this copy is interrupted, run it again with --force`,
    );
    const to = target.label;
    const failedViews = await runCopy(plan).catch((e: unknown) => {
      if (transactional) throw e;
      // The target keeps what was written, marked unfinished (UNFINISHED_COPY_PARAM).
      throw new CopyError(
        `${asError(e).message}\nThe target ${to} is partly written and marked as an unfinished copy, which \`${batonCommand()} serve\` refuses: ` +
          `fix the cause and run \`${batonCommand()} migrate copy --from=${source.label} --to=${to} --force\` again`,
      );
    });
    written = true;
    if (options.signal?.aborted) {
      throw new CopyError(`interrupted (${String(options.signal.reason)}) after ${to} was written in full, before it was verified`);
    }
    target.dbs.data.schemaChanged();
    target.dbs.aux.schemaChanged();
    for (const [v, e] of failedViews) {
      log(`view ${v.name} NOT created: ${target.kind} refused its query (${e.message.split('\n')[0]}); fix its query on the target (collection settings) to serve it`);
    }
    const storage = copyStorage(plan);
    log(`files: ${storage.note}`);
    const tables = await verify(plan, failedViews);
    return {
      ok: tables.every((c) => c.ok) && failedViews.size === 0,
      transactional,
      tables,
      failedViews: [...failedViews].map(([v, e]) => ({ name: v.name, error: e.message })),
      storage,
    };
  } finally {
    await target?.dbs.close();
    await source.dbs.close();
    if (!written) undoTargetDir();
  }
}
