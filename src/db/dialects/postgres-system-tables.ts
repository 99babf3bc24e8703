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
  // A time value as SQLite's date functions read it ('YYYY-MM-DD[ HH:MM[:SS[.fff]]][Z|±HH:MM]',
  // 'now'), as a UTC timestamp; NULL for anything else, never an error.
  `CREATE OR REPLACE FUNCTION baton_parse_time(t text) RETURNS timestamp LANGUAGE plpgsql STABLE AS $fn$
  BEGIN
    IF t IS NULL THEN RETURN NULL; END IF;
    t := btrim(t);
    IF lower(t) = 'now' THEN RETURN (now() AT TIME ZONE 'UTC'); END IF;
    IF t !~ '^\\d{4}-\\d{2}-\\d{2}([ T]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?)?\\s*(Z|z|[-+]\\d{2}:?\\d{2})?$' THEN RETURN NULL; END IF;
    IF t ~ '[-+]\\d{2}:?\\d{2}$' AND t ~ '[ T]' THEN RETURN (t::timestamptz AT TIME ZONE 'UTC'); END IF;
    RETURN rtrim(t, 'Zz')::timestamp;
  EXCEPTION WHEN others THEN
    RETURN NULL;
  END $fn$`,
  // SQLite's strftime(format, time, modifiers...) as PocketBase's filter language exposes it:
  // the same format letters and modifiers, NULL where SQLite answers NULL.
  `CREATE OR REPLACE FUNCTION baton_strftime(fmt text, t text, VARIADIC mods text[] DEFAULT '{}') RETURNS text LANGUAGE plpgsql STABLE AS $fn$
  DECLARE
    ts timestamp; m text; i int := 1; c text; piece text; res text := ''; parts text[];
  BEGIN
    IF fmt IS NULL OR t IS NULL THEN RETURN NULL; END IF;
    IF t ~ '^\\s*[-+]?(\\d+\\.?\\d*|\\.\\d+)\\s*$' THEN
      IF coalesce(array_length(mods, 1), 0) >= 1 AND lower(btrim(mods[1])) = 'unixepoch' THEN
        ts := to_timestamp(t::float8) AT TIME ZONE 'UTC';
        mods := mods[2:];
      ELSE
        ts := to_timestamp((t::float8 - 2440587.5) * 86400) AT TIME ZONE 'UTC';
      END IF;
    ELSE
      ts := baton_parse_time(t);
    END IF;
    IF ts IS NULL THEN RETURN NULL; END IF;
    FOREACH m IN ARRAY mods LOOP
      m := lower(btrim(coalesce(m, '')));
      IF m = 'start of day' THEN ts := date_trunc('day', ts);
      ELSIF m = 'start of month' THEN ts := date_trunc('month', ts);
      ELSIF m = 'start of year' THEN ts := date_trunc('year', ts);
      ELSIF m IN ('utc', 'localtime', 'auto', 'subsec', 'subsecond') THEN NULL;
      ELSIF m ~ '^weekday [0-6]$' THEN
        ts := ts + ((substr(m, 9)::int - extract(dow FROM ts)::int + 7) % 7) * interval '1 day';
      ELSE
        parts := regexp_match(m, '^([-+]?\\d+(?:\\.\\d+)?)\\s+(day|hour|minute|second|month|year)s?$');
        IF parts IS NULL THEN RETURN NULL; END IF;
        IF parts[2] IN ('month', 'year') AND parts[1] ~ '^[-+]?\\d+$' THEN
          -- Whole months as SQLite adds them: a day the target month lacks rolls into the next one
          -- (Jan 31 + 1 month is Mar 2 in a leap year), where interval arithmetic would clamp it.
          ts := date_trunc('month', ts) + (parts[1]::int * CASE parts[2] WHEN 'year' THEN 12 ELSE 1 END) * interval '1 month'
                + (ts - date_trunc('month', ts));
        ELSE
          ts := ts + parts[1]::float8 * ('1 ' || parts[2])::interval;
        END IF;
      END IF;
    END LOOP;
    WHILE i <= length(fmt) LOOP
      c := substr(fmt, i, 1);
      IF c = '%' AND i = length(fmt) THEN
        RETURN NULL; -- a lone '%' at the end, as SQLite
      ELSIF c = '%' THEN
        i := i + 1;
        piece := CASE substr(fmt, i, 1)
          WHEN 'd' THEN to_char(ts, 'DD')
          WHEN 'e' THEN lpad(to_char(ts, 'FMDD'), 2, ' ')
          WHEN 'F' THEN to_char(ts, 'YYYY-MM-DD')
          WHEN 'G' THEN to_char(ts, 'IYYY')
          WHEN 'g' THEN to_char(ts, 'IY')
          WHEN 'I' THEN to_char(ts, 'HH12')
          WHEN 'k' THEN lpad(to_char(ts, 'FMHH24'), 2, ' ')
          WHEN 'l' THEN lpad(to_char(ts, 'FMHH12'), 2, ' ')
          WHEN 'p' THEN to_char(ts, 'AM')
          WHEN 'P' THEN lower(to_char(ts, 'AM'))
          WHEN 'R' THEN to_char(ts, 'HH24:MI')
          WHEN 'T' THEN to_char(ts, 'HH24:MI:SS')
          WHEN 'u' THEN to_char(ts, 'ID')
          WHEN 'U' THEN lpad(((extract(doy FROM ts)::int + 6 - extract(dow FROM ts)::int) / 7)::text, 2, '0')
          WHEN 'V' THEN to_char(ts, 'IW')
          WHEN 'f' THEN to_char(ts, 'SS.MS')
          WHEN 'H' THEN to_char(ts, 'HH24')
          WHEN 'j' THEN to_char(ts, 'DDD')
          WHEN 'J' THEN (extract(epoch FROM ts) / 86400 + 2440587.5)::text
          WHEN 'm' THEN to_char(ts, 'MM')
          WHEN 'M' THEN to_char(ts, 'MI')
          WHEN 's' THEN floor(extract(epoch FROM ts))::bigint::text
          WHEN 'S' THEN to_char(ts, 'SS')
          WHEN 'w' THEN extract(dow FROM ts)::int::text
          WHEN 'W' THEN lpad(((extract(doy FROM ts)::int + 6 - ((extract(dow FROM ts)::int + 6) % 7)) / 7)::text, 2, '0')
          -- Astronomical years, as SQLite prints them (1 BC is 0, 2 BC is -1; PostgreSQL has no year 0).
          WHEN 'Y' THEN (SELECT CASE WHEN y < 0 THEN '-' || (CASE WHEN y > -100 THEN lpad((-y)::text, 3, '0') ELSE (-y)::text END)
                                     WHEN y < 1000 THEN lpad(y::text, 4, '0') ELSE y::text END
                         FROM (SELECT CASE WHEN extract(year FROM ts) < 0 THEN extract(year FROM ts)::int + 1 ELSE extract(year FROM ts)::int END AS y) AS yy)
          WHEN '%' THEN '%'
        END;
        IF piece IS NULL THEN RETURN NULL; END IF;
        res := res || piece;
      ELSE
        res := res || c;
      END IF;
      i := i + 1;
    END LOOP;
    RETURN res;
  EXCEPTION WHEN others THEN
    -- Out of PostgreSQL's range (SQLite's too, mostly): NULL, as SQLite answers an invalid time.
    RETURN NULL;
  END $fn$`,
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
