/**
 * The files API's use cases (PocketBase's apis/file.go): which stored file a download serves,
 * whether the requester may have it, its thumb; and file tokens. The bytes themselves stay in
 * `FileStorage`; the HTTP layer streams them.
 */
import type { Database, Executor } from '../../db/dialect.ts';
import { ident, sql } from '../../db/sql.ts';
import { isMultiValue, SUPERUSERS, type Collection, type FieldDef, type SchemaLookup } from '../../db/schema.ts';
import { isApiError, notFound, unauthorized } from '../../kernel/errors.ts';
import type { Logger } from '../../kernel/logger.ts';
import { StorageKeyError, type ByteRange, type FileStorage, type StoredFile } from '../../infra/storage.ts';
import type { Readable } from 'node:stream';
import { parseTokenClaims, signRecordToken, TokenType, verifyRecordToken } from '../auth/tokens.ts';
import { viewColumnSource } from '../collections/view.ts';
import { toFileNames } from '../collections/fields/file.ts';
import { strList } from '../collections/fields/options.ts';
import { GUEST, withPrincipal, type Principal, type RequestContext } from '../context.ts';
import { and, requestInfoOf, ruleCondition } from '../records/access.ts';
import { decodeRow, rowShape, type RecordData } from '../records/codec.ts';
import { selectById, selectFrom } from '../records/query.ts';
import { ipListMatcher } from '../settings/network.ts';
import { recordFileKey, thumbKey } from './paths.ts';
import { DEFAULT_THUMB_SIZES, THUMB_SOURCE_TYPES, ThumbMaker, type ThumbOptions } from './thumbs.ts';

export interface FileServiceDeps {
  db: Database;
  schema: SchemaLookup;
  storage: FileStorage;
  /** `settings.superuserIPs` as they are now: a superuser's file token counts only from these. */
  superuserIPs: () => readonly string[];
  logger: Logger;
  thumbs?: ThumbOptions;
}

export interface DownloadRequest {
  collection: string;
  recordId: string;
  filename: string;
  /** `?token=`: a file token, for protected files. */
  token?: string;
  /** `?thumb=`: a thumb size. */
  thumb?: string;
}

/** The file a download serves: its storage key, the name it is served under, its attributes. */
export interface ServedFile {
  readonly key: string;
  readonly name: string;
  readonly file: StoredFile;
}

export type { ByteRange, StoredFile };

/** How deep a view of views is followed to the record that owns a file (PocketBase's bound). */
const MAX_VIEW_DEPTH = 5;

export class FileService {
  private readonly thumbs: ThumbMaker;

  constructor(private readonly deps: FileServiceDeps) {
    this.thumbs = new ThumbMaker(deps.storage, deps.thumbs);
  }

  /** `POST /api/files/token`: a short-lived file token for the signed-in record. */
  async token(ctx: RequestContext): Promise<{ token: string }> {
    const p = ctx.principal;
    if (p.kind === 'guest') throw unauthorized('The request requires valid record authorization token.');
    return { token: await signRecordToken(p.record, p.collection, TokenType.file) };
  }

  /**
   * `GET /api/files/{collection}/{recordId}/{filename}`: the file to serve, or PocketBase's 404 for
   * anything missing or not allowed (an unknown record, a name none of its file fields holds, a
   * protected file without a token that may view the record, a file missing from storage).
   */
  async resolve(ctx: RequestContext, request: DownloadRequest): Promise<ServedFile> {
    try {
      return await this.find(ctx, request);
    } catch (e) {
      // A stored name that cannot be a storage key is a file that cannot exist.
      if (e instanceof StorageKeyError) throw notFound();
      throw e;
    }
  }

  /** A stream of the served file (or of one range of it); undefined when it has gone meanwhile. */
  open(key: string, range?: ByteRange): Promise<Readable | undefined> {
    return this.deps.storage.read(key, range);
  }

  private async find(ctx: RequestContext, request: DownloadRequest): Promise<ServedFile> {
    const { storage } = this.deps;
    const collection = this.deps.schema.find(request.collection);
    if (!collection || !request.recordId) throw notFound();
    const reader = this.deps.db.forClients();
    const record = await findRecord(reader, collection, request.recordId);
    if (!record) throw notFound();
    const { filename } = request;
    const field = collection.fields.find((f) => f.type === 'file' && toFileNames(record[f.name]).includes(filename));
    if (!field) throw notFound();
    if (field.protected === true && !(await this.mayViewProtected(ctx, collection, record, request.token ?? ''))) throw notFound();

    let owner = { collection, id: String(record.id) };
    if (collection.type === 'view') {
      const found = await this.viewFileOwner(reader, collection, field.name, filename);
      if (!found) throw notFound();
      owner = found;
    }
    const originalKey = recordFileKey(owner.collection.id, owner.id, filename);
    let served = { key: originalKey, name: filename };

    const size = request.thumb ?? '';
    if (size && (DEFAULT_THUMB_SIZES.includes(size) || strList(field.thumbs).includes(size))) {
      const original = await storage.stat(originalKey);
      if (!original) throw notFound();
      if (THUMB_SOURCE_TYPES.includes(original.contentType)) {
        const thumb = { key: thumbKey(owner.collection.id, owner.id, filename, size), name: `${size}_${filename}` };
        try {
          if (!(await storage.exists(thumb.key))) await this.thumbs.make(originalKey, thumb.key, size, original.contentType);
          served = thumb;
        } catch (e) {
          // As PocketBase: a thumb that cannot be made falls back to the original.
          ctx.logger.warn({ err: e, original: originalKey, thumb: thumb.key }, 'failed to create thumb; serving the original');
        }
      }
    }
    const file = await storage.stat(served.key);
    if (!file) throw notFound();
    return { ...served, file };
  }

  /**
   * PocketBase's rule for protected files: the `token` query parameter's file token stands for
   * `@request.auth` (nobody without one), `@request.context` is "protectedFile", and the record's
   * viewRule must hold for it, as `CanAccessRecord` checks it.
   */
  private async mayViewProtected(ctx: RequestContext, collection: Collection, record: RecordData, token: string): Promise<boolean> {
    const principal = await this.fileTokenPrincipal(ctx, token);
    if (principal.kind === 'superuser') return true;
    const rule = collection.viewRule;
    if (rule === null) return false;
    if (rule.trim() === '') return true;
    const { db, schema } = this.deps;
    try {
      const condition = ruleCondition(db, {
        schema,
        collection,
        tableAlias: collection.name,
        request: requestInfoOf(withPrincipal(ctx, principal), {}, 'protectedFile'),
        superuser: false,
      }, rule);
      const idMatch = sql`${ident(collection.name, 'id')} = ${String(record.id)}`;
      return (await db.forClients().get(selectFrom(collection, and([idMatch, condition])), rowShape(collection))) !== undefined;
    } catch (e) {
      // PocketBase treats a rule that cannot be checked as a refusal (the 404).
      if (isApiError(e)) return false;
      throw e;
    }
  }

  /** The record a valid file token names, as a principal; a guest for anything else. */
  private async fileTokenPrincipal(ctx: RequestContext, token: string): Promise<Principal> {
    const claims = token ? parseTokenClaims(token) : undefined;
    if (!claims || claims.type !== TokenType.file) return GUEST;
    const collection = this.deps.schema.find(claims.collectionId);
    if (!collection || collection.type !== 'auth' || collection.id !== claims.collectionId) return GUEST;
    const record = await findRecord(this.deps.db, collection, claims.id);
    if (!record || !(await verifyRecordToken(token, record, collection, TokenType.file))) return GUEST;
    if (collection.name === SUPERUSERS) {
      // File tokens are short-lived, but a superuser's counts only from the allowed addresses too.
      const allowed = this.deps.superuserIPs();
      if (allowed.length > 0 && !ipListMatcher(allowed)(ctx.realIp)) return GUEST;
      return { kind: 'superuser', collection, record };
    }
    return { kind: 'record', collection, record };
  }

  /**
   * The record a view's file belongs to (PocketBase's FindRecordByViewFile): the column's source
   * field, followed through views of views, and the first record of that collection holding the
   * file name.
   */
  private async viewFileOwner(
    db: Executor,
    view: Collection,
    fieldName: string,
    filename: string,
  ): Promise<{ collection: Collection; id: string } | undefined> {
    let current = view;
    let column = fieldName;
    for (let depth = 0; depth < MAX_VIEW_DEPTH; depth++) {
      const query = typeof current.options.viewQuery === 'string' ? current.options.viewQuery : '';
      const source = viewColumnSource(query, column, this.deps.schema);
      if (!source || source.field.type !== 'file') return undefined;
      if (source.collection.type === 'view') {
        current = source.collection;
        column = source.field.name;
        continue;
      }
      const row = await db.get<{ id: string }>(
        sql`SELECT ${ident('id')} AS id FROM ${ident(source.collection.name)} WHERE ${holdsFile(db, source.field, filename)} LIMIT 1`,
      );
      return row ? { collection: source.collection, id: String(row.id) } : undefined;
    }
    return undefined;
  }
}

async function findRecord(db: Executor, collection: Collection, id: string): Promise<RecordData | undefined> {
  const row = await db.get(selectById(collection).bind(id), rowShape(collection));
  return row ? decodeRow(collection, row) : undefined;
}

/** The field's value is, or (for a multi-file field) lists, `filename`. */
function holdsFile(db: Executor, field: FieldDef, filename: string) {
  const column = ident(field.name);
  if (!isMultiValue(field)) return sql`${column} = ${filename}`;
  return sql`EXISTS (SELECT 1 FROM ${db.dialect.jsonEach(sql`${column}`, '__je', true)} WHERE ${ident('__je', 'value')} = ${filename})`;
}
