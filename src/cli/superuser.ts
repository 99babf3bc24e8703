import pino from 'pino';
import type { Config } from '../config/config.ts';
import { ident, sql } from '../db/sql.ts';
import { badRequest } from '../kernel/errors.ts';
import { SUPERUSERS } from '../db/schema.ts';
import { systemContext } from '../domain/context.ts';
import { openBaton } from './wire.ts';

const USAGE = 'usage: baton superuser upsert|create|update EMAIL PASSWORD | delete EMAIL';

/** `baton superuser …`: manages superuser accounts directly in the data directory. */
export async function superuserCommand(config: Config, args: string[]): Promise<number> {
  const [action, email, password] = args;
  if (!action || !email || (action !== 'delete' && !password) || !['upsert', 'create', 'update', 'delete'].includes(action)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const logger = pino({ level: 'warn' });
  const baton = await openBaton({ dataDir: config.dataDir, db: config.db, passwordHash: config.passwordHash, logger });
  try {
    const { records, schema, db } = baton.services;
    const collection = schema.find(SUPERUSERS)!;
    const ctx = systemContext(logger, { kind: 'superuser', collection, record: {} });
    const row = await db.get<{ id: string }>(sql`SELECT ${ident('id')} AS id FROM ${ident(SUPERUSERS)} WHERE ${ident('email')} = ${email}`);
    const body = { email, password, passwordConfirm: password };
    if (action === 'create' && row) throw badRequest(`A superuser with email ${email} already exists.`);
    if (action === 'update' && !row) throw badRequest(`No superuser with email ${email}.`);
    if (action === 'delete' && !row) {
      // As PocketBase: deleting is idempotent, so scripts can run it unconditionally.
      process.stdout.write(`Superuser ${email} is missing or already deleted.\n`);
    } else if (action === 'delete') {
      await records.delete(ctx, SUPERUSERS, row!.id);
      process.stdout.write(`Deleted superuser ${email}.\n`);
    } else if (row) {
      await records.update(ctx, SUPERUSERS, row.id, { body: { password, passwordConfirm: password }, source: 'json' });
      process.stdout.write(`Updated superuser ${email}.\n`);
    } else {
      await records.create(ctx, SUPERUSERS, { body, source: 'json' });
      process.stdout.write(`Created superuser ${email}.\n`);
    }
    return 0;
  } finally {
    await baton.close();
  }
}
