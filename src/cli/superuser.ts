import pino from 'pino';
import type { Config } from '../config/config.ts';
import { ident, sql } from '../db/sql.ts';
import { badRequest } from '../kernel/errors.ts';
import { SUPERUSERS } from '../db/schema.ts';
import { systemContext } from '../domain/context.ts';
import { undoNewDirectory } from './new-directory.ts';
import { openBaton } from './wire.ts';

const USAGE = 'usage: baton superuser upsert|create|update EMAIL PASSWORD | delete EMAIL | otp EMAIL';

/** `baton superuser …`: manages superuser accounts directly in the data directory. */
export async function superuserCommand(config: Config, args: string[]): Promise<number> {
  const [action, email, password] = args;
  if (action === 'otp') return otpCommand(config, email);
  if (!action || !email || (action !== 'delete' && !password) || !['upsert', 'create', 'update', 'delete'].includes(action)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  // Only upsert and create may start a data directory (or set up a database); the others act on an
  // existing one, so a mistyped --dir or --db is an error rather than a new empty Baton.
  if (action === 'update' || action === 'delete') return manageSuperuser(config, action, email, password, true);
  // One that fails (an invalid email or password) leaves no data directory it made. The
  // validation is the records API's, against the directory's own _superusers collection, so it
  // runs on the opened directory, not before.
  const undoDir = undoNewDirectory(config.dataDir);
  try {
    return await manageSuperuser(config, action, email, password, false);
  } catch (e) {
    undoDir();
    throw e;
  }
}

async function manageSuperuser(config: Config, action: string, email: string, password: string | undefined, mustExist: boolean): Promise<number> {
  const logger = pino({ level: 'warn' });
  const baton = await openBaton({ dataDir: config.dataDir, db: config.db, passwordHash: config.passwordHash, logger, mustExist, background: false });
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

/**
 * `baton superuser otp EMAIL`: a one-time password for a superuser, printed rather than mailed
 * (a way in when the password is lost and no mail goes out); `_superusers` must allow OTP sign-in.
 */
async function otpCommand(config: Config, email: string | undefined): Promise<number> {
  if (!email || !/^[^@\s]+@[^@\s]+$/.test(email)) {
    process.stderr.write(`error: invalid or missing email address\n${USAGE}\n`);
    return 2;
  }
  const logger = pino({ level: 'warn' });
  const baton = await openBaton({ dataDir: config.dataDir, db: config.db, passwordHash: config.passwordHash, logger, mustExist: true, background: false });
  try {
    const { schema, db, auth } = baton.services;
    const collection = schema.find(SUPERUSERS)!;
    const row = await db.get<{ id: string }>(sql`SELECT ${ident('id')} AS id FROM ${ident(SUPERUSERS)} WHERE ${ident('email')} = ${email}`);
    // Worded as update's (main.ts prints an API error as `error: …`).
    if (!row) throw badRequest(`No superuser with email ${email}.`);
    try {
      const { otpId, code, duration } = await auth.otp.issue(collection, { id: row.id }, logger);
      process.stdout.write(`Created an OTP for superuser ${email}:\n  id:    ${otpId}\n  code:  ${code}\n  valid: ${duration} s\n`);
      return 0;
    } catch (e) {
      // OTP not enabled for _superusers: one line, as the other errors.
      process.stderr.write(`error: ${(e as Error).message}\n`);
      return 1;
    }
  } finally {
    await baton.close();
  }
}
