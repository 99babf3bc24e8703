import type { Database } from '../../db/dialect.ts';
import { sql } from '../../db/sql.ts';
import { recordMigration } from '../../db/system-tables.ts';
import type { SchemaLookup } from '../../db/schema.ts';
import { nowString } from '../../kernel/time.ts';
import { systemContext } from '../context.ts';
import { silentLogger } from '../../kernel/logger.ts';
import type { CollectionService } from './service.ts';
import { defaultSettings, storedSettings } from '../settings/model.ts';

/** PocketBase's system migrations; recorded so a data directory Baton creates is one PocketBase accepts as current. */
export const POCKETBASE_MIGRATIONS = [
  '1640988000_aux_init.go',
  '1640988000_init.go',
  '1717233556_v0.23_migrate.go',
  '1717233557_v0.23_migrate2.go',
  '1717233558_v0.23_migrate3.go',
  '1717233559_v0.23_migrate4.go',
  '1763020353_update_default_auth_alert_templates.go',
  '1778828400_normalize_indexes.go',
];
const BATON_INIT = 'baton_0001_init';

const OWNER_RULE = "@request.auth.id != '' && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId";
const text = (name: string, extra: Record<string, unknown> = {}) => ({ type: 'text', name, system: true, required: true, ...extra });
const autodates = [
  { type: 'autodate', name: 'created', system: true, onCreate: true, onUpdate: false },
  { type: 'autodate', name: 'updated', system: true, onCreate: true, onUpdate: true },
];

/** The collections of a fresh data directory, in PocketBase's creation order. */
function systemCollections(): Array<Record<string, unknown>> {
  return [
    {
      id: 'pbc_2279338944',
      name: '_mfas',
      type: 'base',
      system: true,
      listRule: OWNER_RULE,
      viewRule: OWNER_RULE,
      fields: [text('collectionRef'), text('recordRef'), text('method'), ...autodates],
      indexes: ['CREATE INDEX `idx_mfas_collectionRef_recordRef` ON `_mfas` (`collectionRef`, `recordRef`)'],
    },
    {
      id: 'pbc_1638494021',
      name: '_otps',
      type: 'base',
      system: true,
      listRule: OWNER_RULE,
      viewRule: OWNER_RULE,
      fields: [
        text('collectionRef'),
        text('recordRef'),
        { type: 'password', name: 'password', system: true, hidden: true, required: true, cost: 8 },
        { type: 'text', name: 'sentTo', system: true, hidden: true },
        ...autodates,
      ],
      indexes: ['CREATE INDEX `idx_otps_collectionRef_recordRef` ON `_otps` (`collectionRef`, `recordRef`)'],
    },
    {
      id: 'pbc_2281828961',
      name: '_externalAuths',
      type: 'base',
      system: true,
      listRule: OWNER_RULE,
      viewRule: OWNER_RULE,
      deleteRule: OWNER_RULE,
      fields: [text('collectionRef'), text('recordRef'), text('provider'), text('providerId'), ...autodates],
      indexes: [
        'CREATE UNIQUE INDEX `idx_externalAuths_record_provider` ON `_externalAuths` (`collectionRef`, `recordRef`, `provider`)',
        'CREATE UNIQUE INDEX `idx_externalAuths_collection_provider` ON `_externalAuths` (`collectionRef`, `provider`, `providerId`)',
      ],
    },
    {
      id: 'pbc_4275539003',
      name: '_authOrigins',
      type: 'base',
      system: true,
      listRule: OWNER_RULE,
      viewRule: OWNER_RULE,
      deleteRule: OWNER_RULE,
      fields: [text('collectionRef'), text('recordRef'), text('fingerprint'), ...autodates],
      indexes: ['CREATE UNIQUE INDEX `idx_authOrigins_unique_pairs` ON `_authOrigins` (`collectionRef`, `recordRef`, `fingerprint`)'],
    },
    {
      id: 'pbc_3142635823',
      name: '_superusers',
      type: 'auth',
      system: true,
      fields: autodates,
      authToken: { duration: 86400 },
    },
    {
      id: '_pb_users_auth_',
      name: 'users',
      type: 'auth',
      listRule: 'id = @request.auth.id',
      viewRule: 'id = @request.auth.id',
      createRule: '',
      updateRule: 'id = @request.auth.id',
      deleteRule: 'id = @request.auth.id',
      fields: [
        { type: 'text', name: 'name', max: 255 },
        {
          type: 'file',
          name: 'avatar',
          maxSelect: 1,
          mimeTypes: ['image/jpeg', 'image/png', 'image/svg+xml', 'image/gif', 'image/webp'],
        },
        { type: 'autodate', name: 'created', onCreate: true, onUpdate: false },
        { type: 'autodate', name: 'updated', onCreate: true, onUpdate: true },
      ],
      oauth2: { mappedFields: { id: '', name: 'name', username: '', avatarURL: 'avatar' } },
    },
  ];
}

/**
 * Creates the system collections and settings of a fresh data directory or database. One that
 * already has them (made by Baton or by PocketBase: both record their migrations) is left as it
 * is. The migrations are recorded last, in the transaction that writes the settings, so a first
 * start interrupted half-way is finished by the next one: it creates only what is missing.
 */
export async function initializeDataDirectory(db: Database, collections: CollectionService, store: SchemaLookup): Promise<void> {
  if (await db.get(sql`SELECT 1 AS ok FROM _migrations LIMIT 1`)) return;
  const ctx = systemContext(silentLogger);
  for (const c of systemCollections()) {
    if (!store.find(String(c.id))) await collections.create(ctx, c);
  }
  const now = nowString();
  await db.transaction(async (tx) => {
    const hasSettings = await tx.get(sql`SELECT 1 AS ok FROM _params WHERE id = 'settings'`);
    if (!hasSettings) {
      await tx.run(
        sql`INSERT INTO _params (id, value, created, updated) VALUES ('settings', ${JSON.stringify(storedSettings(defaultSettings()))}, ${now}, ${now})`,
      );
    }
    for (const file of [...POCKETBASE_MIGRATIONS, BATON_INIT]) await recordMigration(tx, file);
  });
}
