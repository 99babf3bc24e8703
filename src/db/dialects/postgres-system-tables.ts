import { POSTGRES_STRFTIME } from './postgres-strftime.ts';

/**
 * The tables every Baton database on PostgreSQL has before any collection exists: PocketBase's
 * system tables with native types (JSONB, BOOLEAN, BIGINT), plus the functions the dialect uses.
 * Text columns use the "C" collation, so text compares and sorts by code point as in SQLite.
 */
export const POSTGRES_DATA_TABLES = [
  `CREATE TABLE IF NOT EXISTS "_migrations" ("file" VARCHAR(255) COLLATE "C" PRIMARY KEY NOT NULL, "applied" BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS "_collections" (
    "id"         TEXT COLLATE "C" PRIMARY KEY DEFAULT ('r' || substr(md5(random()::text), 1, 14)) NOT NULL,
    "system"     BOOLEAN DEFAULT FALSE NOT NULL,
    "type"       TEXT COLLATE "C" DEFAULT 'base' NOT NULL,
    "name"       TEXT COLLATE "C" UNIQUE NOT NULL,
    "fields"     JSONB DEFAULT '[]' NOT NULL,
    "indexes"    JSONB DEFAULT '[]' NOT NULL,
    "listRule"   TEXT COLLATE "C" DEFAULT NULL,
    "viewRule"   TEXT COLLATE "C" DEFAULT NULL,
    "createRule" TEXT COLLATE "C" DEFAULT NULL,
    "updateRule" TEXT COLLATE "C" DEFAULT NULL,
    "deleteRule" TEXT COLLATE "C" DEFAULT NULL,
    "options"    JSONB DEFAULT '{}' NOT NULL,
    "created"    TEXT COLLATE "C" DEFAULT '' NOT NULL,
    "updated"    TEXT COLLATE "C" DEFAULT '' NOT NULL
  )`,
  `CREATE INDEX IF NOT EXISTS "idx__collections_type" ON "_collections" ("type")`,
  `CREATE TABLE IF NOT EXISTS "_params" (
    "id"      TEXT COLLATE "C" PRIMARY KEY DEFAULT ('r' || substr(md5(random()::text), 1, 14)) NOT NULL,
    "value"   JSONB DEFAULT NULL,
    "created" TEXT COLLATE "C" DEFAULT '' NOT NULL,
    "updated" TEXT COLLATE "C" DEFAULT '' NOT NULL
  )`,
  // A text as the number SQLite computes with (geoDistance): `whole` false, its leading number as
  // an arithmetic operator reads it ('12abc' is 12, 'abc' 0); true, the number only where the whole
  // text is one (numeric affinity), else NULL. Past the largest double: NULL (SQLite's infinity,
  // which makes any distance NULL); below the smallest: 0.
  `CREATE OR REPLACE FUNCTION baton_text_number(t text, whole boolean) RETURNS float8 LANGUAGE plpgsql IMMUTABLE AS $fn$
  DECLARE
    m text[];
  BEGIN
    IF t IS NULL THEN RETURN NULL; END IF;
    m := regexp_match(t, '^[ \\t\\n\\v\\f\\r]*([-+]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][-+]?[0-9]+)?)(.*)$');
    IF m IS NULL THEN RETURN CASE WHEN whole THEN NULL ELSE 0 END; END IF;
    IF whole AND m[2] !~ '^[ \\t\\n\\v\\f\\r]*$' THEN RETURN NULL; END IF;
    IF length(m[1]) < 300 AND m[1] !~ '[eE]' THEN RETURN m[1]::float8; END IF;
    BEGIN
      RETURN m[1]::float8;
    EXCEPTION WHEN others THEN
      BEGIN
        RETURN CASE WHEN abs(m[1]::numeric) < 1 THEN 0 END;
      EXCEPTION WHEN others THEN
        RETURN CASE WHEN m[1] ~ '[eE]-' THEN 0 END;
      END;
    END;
  END $fn$`,
  // SQLite's strftime() (postgres-strftime.ts).
  ...POSTGRES_STRFTIME,
];

export const POSTGRES_AUX_TABLES = [
  `CREATE TABLE IF NOT EXISTS "_logs" (
    "id"      TEXT COLLATE "C" PRIMARY KEY DEFAULT ('r' || substr(md5(random()::text), 1, 14)) NOT NULL,
    "level"   INTEGER DEFAULT 0 NOT NULL,
    "message" TEXT COLLATE "C" DEFAULT '' NOT NULL,
    "data"    JSONB DEFAULT '{}' NOT NULL,
    "created" TEXT COLLATE "C" DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS"Z"')) NOT NULL,
    "updated" TEXT COLLATE "C" DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS"Z"')) NOT NULL
  )`,
  `CREATE INDEX IF NOT EXISTS "idx_logs_level" ON "_logs" ("level")`,
  `CREATE INDEX IF NOT EXISTS "idx_logs_created" ON "_logs" ("created")`,
];
