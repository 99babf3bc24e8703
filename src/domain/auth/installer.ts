import type { Executor } from '../../db/dialect.ts';
import { SUPERUSERS } from '../../db/schema.ts';
import { ident, sql } from '../../db/sql.ts';
import type { Logger } from '../../kernel/logger.ts';
import { systemContext, type RequestContext } from '../context.ts';
import type { CollectionStore } from '../collections/store.ts';
import type { RecordInput } from '../records/input.ts';
import { signAuthToken } from './tokens.ts';

/**
 * The first-run installer, as PocketBase's (apis/installer.go, core/record_model_superusers.go):
 * while no superuser exists but this system one, `baton serve` prints a dashboard link that
 * carries a short-lived token of it, with which the first real superuser is created. Its password
 * is random and never shown, so it cannot sign in; it is deleted as soon as another superuser is
 * created (RecordService.create), and it does not count as a superuser for the start banner.
 */
export const INSTALLER_EMAIL = '__pbinstaller@example.com';
/** PocketBase's lifetime of the installer link's token. */
export const INSTALLER_TOKEN_SECONDS = 30 * 60;

/** Whether no superuser exists but the installer's. */
export async function needsInstaller(db: Executor): Promise<boolean> {
  const other = await db.get(sql`SELECT 1 AS found FROM ${ident(SUPERUSERS)} WHERE ${ident('email')} <> ${INSTALLER_EMAIL} LIMIT 1`);
  return other === undefined;
}

/** Finds or creates the installer superuser and signs a static (not refreshable) 30-minute token for it. */
export interface InstallerDeps {
  db: Executor;
  schema: CollectionStore;
  /** RecordService (structurally: records/service.ts imports this file). */
  records: { create(ctx: RequestContext, ref: string, input: RecordInput): Promise<unknown> };
}

export async function installerToken(deps: InstallerDeps, logger: Logger): Promise<string> {
  const collection = deps.schema.find(SUPERUSERS);
  if (!collection) throw new Error('the _superusers collection is missing');
  const find = () =>
    deps.db.get<{ id: string; tokenKey: string }>(
      sql`SELECT ${ident('id')} AS id, ${ident('tokenKey')} AS ${ident('tokenKey')} FROM ${ident(SUPERUSERS)} WHERE ${ident('email')} = ${INSTALLER_EMAIL}`,
    );
  let record = await find();
  if (!record) {
    const ctx = systemContext(logger, { kind: 'superuser', collection, record: {} });
    await deps.records.create(ctx, SUPERUSERS, { body: { email: INSTALLER_EMAIL }, source: 'json', randomPassword: true });
    record = await find();
    if (!record) throw new Error('the installer superuser could not be created');
  }
  return signAuthToken(record, collection, { refreshable: false, duration: INSTALLER_TOKEN_SECONDS });
}

/** Deletes the installer superuser once a real one exists (best effort, as in PocketBase). */
export async function dropInstaller(db: Executor): Promise<void> {
  await db.run(sql`DELETE FROM ${ident(SUPERUSERS)} WHERE ${ident('email')} = ${INSTALLER_EMAIL}`);
}
