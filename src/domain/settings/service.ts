import type { Database, Executor } from '../../db/dialect.ts';
import { sql } from '../../db/sql.ts';
import { badRequest, EnvironmentError } from '../../kernel/errors.ts';
import { nowString } from '../../kernel/time.ts';
import { sentenize } from '../collections/fields/errors.ts';
import type { RequestContext } from '../context.ts';
import { decodeOnto, SettingsDecodeError } from './decode.ts';
import { cloneSettings, defaultSettings, freezeSettings, maskedSettings, SETTINGS_SHAPE, storedSettings, type RateLimitRule, type Settings } from './model.ts';
import { checkS3Filesystem, S3CheckError } from './s3-check.ts';
import { s3TestErrors, validateSettings } from './validate.ts';

// PocketBase's wording (apis/settings.go).
const LOAD_FAILED = 'An error occurred while loading the submitted data.';
const SAVE_FAILED = 'An error occurred while saving the new settings.';
const S3_TEST_FAILED = 'Failed to test the S3 filesystem.';

/** The `_params` row PocketBase keeps its settings in. */
const SETTINGS_ID = 'settings';
const PARAMS_SHAPE = Object.freeze({ value: 'json' } as const);

type Plain = Record<string, unknown>;
const isPlainObject = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The stored settings decoded onto the defaults, as PocketBase loads them; undefined when the row is missing. */
async function readSettings(db: Executor): Promise<Settings | undefined> {
  const row = await db.get<{ value: unknown }>(sql`SELECT value FROM _params WHERE id = ${SETTINGS_ID}`, PARAMS_SHAPE);
  if (!row) return undefined;
  const settings = defaultSettings();
  try {
    if (!isPlainObject(row.value)) throw new SettingsDecodeError('not a JSON object');
    decodeOnto(SETTINGS_SHAPE, settings as unknown as Plain, row.value);
  } catch (e) {
    if (!(e instanceof SettingsDecodeError)) throw e;
    // PocketBase encrypts the row when started with --encryptionEnv; Baton cannot read that.
    throw new EnvironmentError(`the stored settings (_params "settings") cannot be read (${e.message}); encrypted settings are not supported`);
  }
  return settings;
}

async function writeSettings(db: Executor, settings: Settings, exists: boolean): Promise<void> {
  const value = JSON.stringify(storedSettings(settings));
  const now = nowString();
  if (exists) await db.run(sql`UPDATE _params SET value = ${value}, updated = ${now} WHERE id = ${SETTINGS_ID}`);
  else await db.run(sql`INSERT INTO _params (id, value, created, updated) VALUES (${SETTINGS_ID}, ${value}, ${now}, ${now})`);
}

/**
 * The rules whose label is `<from>:<tag>` relabelled `<to>:<tag>`, as PocketBase does when a
 * collection is renamed (core/settings_model.go, its OnCollectionUpdate hook): prefix matched
 * exactly, case included; other labels (`*:<tag>`, paths, a bare tag equal to the name) stay.
 * Undefined when no label changes.
 */
function renamedRateLimitRules(rules: readonly RateLimitRule[], from: string, to: string): RateLimitRule[] | undefined {
  const prefix = `${from}:`;
  if (!rules.some((r) => r.label.startsWith(prefix))) return undefined;
  return rules.map((r) => (r.label.startsWith(prefix) ? { ...r, label: `${to}:${r.label.slice(prefix.length)}` } : { ...r }));
}

/**
 * The application settings (PocketBase's `app.Settings()`): read once from the `_params` row at
 * start and kept in memory, replaced after each successful update. Anything that needs them
 * (mailer, rate limits, trusted proxy, superuser IPs) calls `get()` per use rather than keeping a
 * copy, or subscribes to hear of changes.
 */
export class SettingsService {
  private current: Settings;
  private readonly listeners = new Set<(settings: Settings) => void>();

  private constructor(
    private readonly db: Database,
    settings: Settings,
  ) {
    this.current = freezeSettings(settings);
  }

  /** Loads the stored settings, writing the defaults when the row is missing (as PocketBase does). */
  static async open(db: Database): Promise<SettingsService> {
    const stored = await readSettings(db);
    if (stored) return new SettingsService(db, stored);
    const settings = await db.transaction(async (tx) => {
      const raced = await readSettings(tx);
      if (raced) return raced;
      const defaults = defaultSettings();
      await writeSettings(tx, defaults, false);
      return defaults;
    });
    return new SettingsService(db, settings);
  }

  /** The current settings, secrets included; frozen. Never send them to a client: see `masked()`. */
  get(): Settings {
    return this.current;
  }

  /** The settings as GET /api/settings answers them: secrets (SMTP password, S3 secrets) left out. */
  masked(): Record<string, unknown> {
    return maskedSettings(this.current);
  }

  /** Calls `listener` (which must not throw) with the new settings after every change; returns the unsubscribe function. */
  subscribe(listener: (settings: Settings) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads the stored settings again (another process changed them). */
  async reload(): Promise<Settings> {
    const stored = await readSettings(this.db);
    if (stored) this.replace(stored);
    return this.current;
  }

  /**
   * PATCH /api/settings: `patch` (JSON) decoded onto a copy of the stored settings, so that keys
   * left out, secrets included, keep their values and lists are replaced; then validated and
   * saved. Throws PocketBase's 400s and changes nothing when the patch cannot be read or is
   * invalid. Callers check the caller is a superuser.
   */
  async update(_ctx: RequestContext, patch: unknown): Promise<Settings> {
    // No body at all (PocketBase skips decoding an empty one) saves the settings as they are.
    if (patch !== undefined && patch !== null && !isPlainObject(patch)) throw badRequest(LOAD_FAILED);
    const saved = await this.db.transaction(async (tx) => {
      // Merged onto the stored row, not onto this process's copy: another server may have saved since.
      const stored = await readSettings(tx);
      const next = cloneSettings(stored ?? this.current);
      try {
        decodeOnto(SETTINGS_SHAPE, next as unknown as Plain, patch);
      } catch (e) {
        if (e instanceof SettingsDecodeError) throw badRequest(LOAD_FAILED);
        throw e;
      }
      const errors = validateSettings(next);
      if (Object.keys(errors).length) throw badRequest(SAVE_FAILED, errors);
      await writeSettings(tx, next, stored !== undefined);
      return next;
    });
    this.replace(saved);
    return this.current;
  }

  /**
   * Relabels the rate limit rules of collection `from`, now named `to`, in the stored settings,
   * inside `tx`: the transaction that renames the collection, so a rename that fails changes
   * neither. The copy in memory follows at the next `reload()`, once `tx` has ended.
   */
  async collectionRenamed(tx: Executor, from: string, to: string): Promise<void> {
    const stored = await readSettings(tx);
    const rules = stored && renamedRateLimitRules(stored.rateLimits.rules, from, to);
    if (!stored || !rules) return;
    stored.rateLimits.rules = rules;
    // A label may now clash with a stale one already naming `to`: refused, like any invalid save.
    const errors = validateSettings(stored);
    if (Object.keys(errors).length) throw badRequest(SAVE_FAILED, errors);
    await writeSettings(tx, stored, true);
  }

  /**
   * POST /api/settings/test/s3: writes, lists and deletes a test file with the stored S3 settings
   * of `filesystem` ("storage" or "backups").
   */
  async testS3(_ctx: RequestContext, input: unknown): Promise<void> {
    if (input !== null && input !== undefined && !isPlainObject(input)) throw badRequest(LOAD_FAILED);
    const filesystem = (input as Plain | null | undefined)?.filesystem ?? '';
    if (typeof filesystem !== 'string') throw badRequest(LOAD_FAILED);
    const errors = s3TestErrors(filesystem);
    if (errors) throw badRequest(S3_TEST_FAILED, errors);
    const config = filesystem === 'backups' ? this.current.backups.s3 : this.current.s3;
    try {
      await checkS3Filesystem(config);
    } catch (e) {
      if (e instanceof S3CheckError) throw badRequest(sentenize(`${S3_TEST_FAILED} Raw error: \n${e.message}`));
      throw e;
    }
  }

  private replace(settings: Settings): void {
    this.current = freezeSettings(settings);
    for (const listener of this.listeners) listener(this.current);
  }
}
