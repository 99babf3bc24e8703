/**
 * SQLite's strftime(format, time, modifiers…) for PostgreSQL: its date.c (SQLite 3.53, the one
 * better-sqlite3 bundles) carried over step by step, so the results are SQLite's bit for bit, NULL
 * where SQLite answers NULL. A time is SQLite's DateTime (`baton_datetime`): a julian day in
 * milliseconds and/or year, month, day, hour, minute, seconds, with the same validity flags; the
 * helpers are its computeJD/computeYMD/computeHMS/computeFloor. The server's local time is taken
 * to be UTC ('localtime' and 'utc' change nothing but the flags).
 * Strings are String.raw: the backslashes reach PostgreSQL's regular expressions as written.
 */
const TYPE = String.raw`DO $do$ BEGIN
  CREATE TYPE baton_datetime AS (jd bigint, y int, mo int, d int, h int, mi int, tz int, s float8, vjd boolean, vymd boolean,
    vhms boolean, nfloor int, raws boolean, err boolean, subsec boolean, utc boolean, loc boolean);
EXCEPTION WHEN duplicate_object THEN NULL;
END $do$`;

const EMPTY = String.raw`CREATE OR REPLACE FUNCTION baton_dt_empty(err boolean DEFAULT false) RETURNS baton_datetime LANGUAGE sql IMMUTABLE AS $fn$
  SELECT ROW(0, 0, 0, 0, 0, 0, 0, 0, false, false, false, 0, false, err, false, false, false)::baton_datetime
$fn$`;

const COMPUTE_JD = String.raw`CREATE OR REPLACE FUNCTION baton_dt_jd(p baton_datetime) RETURNS baton_datetime LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE yy int; mm int; dd int; a int; b int; x1 int; x2 int;
BEGIN
  IF p.vjd THEN RETURN p; END IF;
  IF p.vymd THEN yy := p.y; mm := p.mo; dd := p.d; ELSE yy := 2000; mm := 1; dd := 1; END IF;
  IF yy < -4713 OR yy > 9999 OR p.raws THEN RETURN baton_dt_empty(true); END IF;
  IF mm <= 2 THEN yy := yy - 1; mm := mm + 12; END IF;
  a := (yy + 4800) / 100;
  b := 38 - a + (a / 4);
  x1 := 36525 * (yy + 4716) / 100;
  x2 := 306001 * (mm + 1) / 10000;
  p.jd := trunc(((x1 + x2 + dd + b)::float8 - 1524.5::float8) * 86400000::float8)::bigint;
  p.vjd := true;
  IF p.vhms THEN
    p.jd := p.jd + p.h * 3600000 + p.mi * 60000 + trunc(p.s * 1000::float8 + 0.5::float8)::bigint;
    IF p.tz <> 0 THEN
      p.jd := p.jd - p.tz * 60000;
      p.vymd := false; p.vhms := false; p.tz := 0; p.utc := true; p.loc := false;
    END IF;
  END IF;
  RETURN p;
END $fn$`;

const COMPUTE_YMD = String.raw`CREATE OR REPLACE FUNCTION baton_dt_ymd(p baton_datetime) RETURNS baton_datetime LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE z int; alpha int; a int; b int; c int; dd int; e int; x1 int;
BEGIN
  IF p.vymd THEN RETURN p; END IF;
  IF NOT p.vjd THEN
    p.y := 2000; p.mo := 1; p.d := 1;
  ELSIF p.jd < 0 OR p.jd > 464269060799999 THEN
    RETURN baton_dt_empty(true);
  ELSE
    z := ((p.jd + 43200000) / 86400000)::int;
    alpha := trunc((z + 32044.75::float8) / 36524.25::float8)::int - 52;
    a := z + 1 + alpha - ((alpha + 100) / 4) + 25;
    b := a + 1524;
    c := trunc((b - 122.1::float8) / 365.25::float8)::int;
    dd := (36525 * (c & 32767)) / 100;
    e := trunc((b - dd) / 30.6001::float8)::int;
    x1 := trunc(30.6001::float8 * e)::int;
    p.d := b - dd - x1;
    p.mo := CASE WHEN e < 14 THEN e - 1 ELSE e - 13 END;
    p.y := CASE WHEN p.mo > 2 THEN c - 4716 ELSE c - 4715 END;
  END IF;
  p.vymd := true;
  RETURN p;
END $fn$`;

const COMPUTE_HMS = String.raw`CREATE OR REPLACE FUNCTION baton_dt_hms(p baton_datetime) RETURNS baton_datetime LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE day_ms int; day_min int;
BEGIN
  IF p.vhms THEN RETURN p; END IF;
  p := baton_dt_jd(p);
  day_ms := ((p.jd + 43200000) % 86400000)::int;
  p.s := (day_ms % 60000) / 1000.0::float8;
  day_min := day_ms / 60000;
  p.mi := day_min % 60;
  p.h := day_min / 60;
  p.raws := false;
  p.vhms := true;
  RETURN p;
END $fn$`;

const COMPUTE_FLOOR = String.raw`CREATE OR REPLACE FUNCTION baton_dt_floor(p baton_datetime) RETURNS baton_datetime LANGUAGE plpgsql IMMUTABLE AS $fn$
BEGIN
  IF p.d <= 28 THEN p.nfloor := 0;
  ELSIF ((1 << p.mo) & 5546) <> 0 THEN p.nfloor := 0;
  ELSIF p.mo <> 2 THEN p.nfloor := CASE WHEN p.d = 31 THEN 1 ELSE 0 END;
  ELSIF p.y % 4 <> 0 OR (p.y % 100 = 0 AND p.y % 400 <> 0) THEN p.nfloor := p.d - 28;
  ELSE p.nfloor := p.d - 29;
  END IF;
  RETURN p;
END $fn$`;

/** parseTimezone then parseHhMmSs: `ok` false where SQLite's returns 1. */
const PARSE_HMS = String.raw`CREATE OR REPLACE FUNCTION baton_dt_parse_hms(z text, INOUT p baton_datetime, OUT ok boolean) LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE hh int; mm int; ss int := 0; ms float8 := 0; scale float8 := 1; i int; sgn int; sp text := ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13);
BEGIN
  ok := false;
  IF z !~ '^[0-9]{2}:[0-9]{2}' THEN RETURN; END IF;
  hh := substr(z, 1, 2)::int; mm := substr(z, 4, 2)::int;
  IF hh > 24 OR mm > 59 THEN RETURN; END IF;
  z := substr(z, 6);
  IF substr(z, 1, 1) = ':' THEN
    z := substr(z, 2);
    IF z !~ '^[0-9]{2}' THEN RETURN; END IF;
    ss := substr(z, 1, 2)::int;
    IF ss > 59 THEN RETURN; END IF;
    z := substr(z, 3);
    IF z ~ '^\.[0-9]' THEN
      i := 2;
      WHILE substr(z, i, 1) ~ '^[0-9]$' LOOP
        ms := ms * 10 + ascii(substr(z, i, 1)) - 48;
        scale := scale * 10;
        i := i + 1;
      END LOOP;
      z := substr(z, i);
      ms := ms / scale;
      IF ms > 0.999::float8 THEN ms := 0.999::float8; END IF;
    END IF;
  END IF;
  p.vjd := false; p.raws := false; p.vhms := true; p.h := hh; p.mi := mm; p.s := ss + ms;
  -- parseTimezone
  z := ltrim(z, sp);
  p.tz := 0;
  IF substr(z, 1, 1) IN ('Z', 'z') THEN
    p.loc := false; p.utc := true;
    ok := ltrim(substr(z, 2), sp) = '';
    RETURN;
  ELSIF substr(z, 1, 1) = '-' THEN sgn := -1;
  ELSIF substr(z, 1, 1) = '+' THEN sgn := 1;
  ELSE
    ok := z = '';
    RETURN;
  END IF;
  z := substr(z, 2);
  IF z !~ '^[0-9]{2}:[0-9]{2}' THEN RETURN; END IF;
  hh := substr(z, 1, 2)::int; mm := substr(z, 4, 2)::int;
  IF hh > 14 OR mm > 59 THEN RETURN; END IF;
  p.tz := sgn * (mm + hh * 60);
  IF p.tz = 0 THEN p.loc := false; p.utc := true; END IF;
  ok := ltrim(substr(z, 6), sp) = '';
END $fn$`;

/** parseDateOrTime: a date, a time, 'now', a number (julian day or, with a modifier, another unit). */
const PARSE = String.raw`CREATE OR REPLACE FUNCTION baton_dt_parse(t text) RETURNS baton_datetime LANGUAGE plpgsql STABLE AS $fn$
DECLARE p baton_datetime := baton_dt_empty(); q baton_datetime; ok boolean; res record; z text; neg boolean; yy int; mm int; dd int; r float8;
  sp text := ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13);
BEGIN
  -- parseYyyyMmDd
  z := t;
  neg := substr(z, 1, 1) = '-';
  IF neg THEN z := substr(z, 2); END IF;
  IF z ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}' THEN
    yy := substr(z, 1, 4)::int; mm := substr(z, 6, 2)::int; dd := substr(z, 9, 2)::int;
    IF mm BETWEEN 1 AND 12 AND dd BETWEEN 1 AND 31 THEN
      z := ltrim(substr(z, 11), sp || 'T');
      SELECT * INTO res FROM baton_dt_parse_hms(z, p);
      q := res.p; ok := res.ok;
      IF ok OR z = '' THEN
        IF ok THEN p := q; ELSE p.vhms := false; END IF;
        p.vjd := false; p.vymd := true; p.y := CASE WHEN neg THEN -yy ELSE yy END; p.mo := mm; p.d := dd;
        p := baton_dt_floor(p);
        IF p.tz <> 0 THEN p := baton_dt_jd(p); END IF;
        RETURN p;
      END IF;
      p := q; -- what a failed time left behind, as in SQLite
    END IF;
  END IF;
  SELECT * INTO res FROM baton_dt_parse_hms(t, p);
  q := res.p; ok := res.ok;
  IF ok THEN RETURN q; END IF;
  p := q;
  IF lower(t) IN ('now', 'subsec', 'subsecond') THEN
    p.jd := floor(extract(epoch FROM statement_timestamp()) * 1000)::bigint + 210866760000000;
    p.vjd := true; p.utc := true; p.loc := false; p.vymd := false; p.vhms := false; p.tz := 0;
    p.subsec := lower(t) <> 'now';
    RETURN p;
  END IF;
  IF t ~ '^[ \t\n\v\f\r]*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?[ \t\n\v\f\r]*$' THEN
    r := baton_text_number(t, true);
    IF r IS NULL THEN r := 'Infinity'::float8; END IF;
    p.s := r; p.raws := true;
    IF r >= 0 AND r < 5373484.5::float8 THEN p.jd := trunc(r * 86400000::float8 + 0.5::float8)::bigint; p.vjd := true; END IF;
    RETURN p;
  END IF;
  RETURN NULL;
END $fn$`;

/** parseModifier: NULL where SQLite's returns 1 (an unknown or misplaced modifier). */
const MODIFIER = String.raw`CREATE OR REPLACE FUNCTION baton_dt_modify(p baton_datetime, z text, idx int) RETURNS baton_datetime LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE lz text := lower(z); n int; r float8; c text; z0 text := substr(z, 1, 1); m text[]; yy int; mm int; dd int; x int;
  tx baton_datetime; ok boolean; res record; dayn bigint; zz bigint; z2 text; rest text; rounder float8; unit text; lim float8; xf float8;
  sp text := ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13);
BEGIN
  IF lz = 'auto' THEN
    IF idx > 1 THEN RETURN NULL; END IF;
    IF NOT p.raws OR p.vjd THEN
      p.raws := false;
    ELSIF p.s >= -210866760000::float8 AND p.s <= 253402300799::float8 THEN
      p.vymd := false; p.vhms := false; p.tz := 0;
      p.jd := trunc(p.s * 1000::float8 + 210866760000000::float8 + 0.5::float8)::bigint; p.vjd := true; p.raws := false;
    END IF;
    RETURN p;
  ELSIF lz = 'ceiling' THEN
    p := baton_dt_jd(p); p.vymd := false; p.vhms := false; p.tz := 0; p.nfloor := 0;
    RETURN p;
  ELSIF lz = 'floor' THEN
    p := baton_dt_jd(p); p.jd := p.jd - p.nfloor * 86400000::bigint; p.vymd := false; p.vhms := false; p.tz := 0;
    RETURN p;
  ELSIF lz = 'julianday' THEN
    IF idx > 1 OR NOT (p.vjd AND p.raws) THEN RETURN NULL; END IF;
    p.raws := false;
    RETURN p;
  ELSIF lz = 'localtime' THEN
    IF NOT p.loc THEN
      p := baton_dt_jd(p); tx := p; tx.vymd := false; tx.vhms := false; tx := baton_dt_hms(baton_dt_ymd(tx));
      IF tx.err THEN tx := baton_dt_hms(baton_dt_ymd(baton_dt_jd(baton_dt_empty()))); END IF;
      p.y := tx.y; p.mo := tx.mo; p.d := tx.d; p.h := tx.h; p.mi := tx.mi;
      p.s := floor(tx.s) + (p.jd % 1000) * 0.001::float8;
      p.vymd := true; p.vhms := true; p.vjd := false; p.raws := false; p.tz := 0; p.err := false;
    END IF;
    p.utc := false; p.loc := true;
    RETURN p;
  ELSIF lz = 'unixepoch' AND p.raws THEN
    IF idx > 1 THEN RETURN NULL; END IF;
    r := p.s * 1000::float8 + 210866760000000::float8;
    IF NOT (r >= 0 AND r < 464269060800000::float8) THEN RETURN NULL; END IF;
    p.vymd := false; p.vhms := false; p.tz := 0; p.jd := trunc(r + 0.5::float8)::bigint; p.vjd := true; p.raws := false;
    RETURN p;
  ELSIF lz = 'utc' THEN
    IF NOT p.utc THEN
      p := baton_dt_jd(p);
      p := (p.jd, 0, 0, 0, 0, 0, 0, 0, true, false, false, 0, false, false, false, true, false)::baton_datetime;
    END IF;
    RETURN p;
  ELSIF lz = 'subsec' OR lz = 'subsecond' THEN
    p.subsec := true;
    RETURN p;
  ELSIF lz LIKE 'weekday %' THEN
    rest := substr(z, 9);
    IF rest !~ '^[ \t\n\v\f\r]*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?[ \t\n\v\f\r]*$' THEN RETURN NULL; END IF;
    r := baton_text_number(rest, true);
    IF r IS NULL OR NOT (r >= 0 AND r < 7) OR r <> trunc(r) THEN RETURN NULL; END IF;
    p := baton_dt_hms(baton_dt_ymd(p)); p.tz := 0; p.vjd := false; p := baton_dt_jd(p);
    zz := ((p.jd + 129600000) / 86400000) % 7;
    IF zz > r::int THEN zz := zz - 7; END IF;
    p.jd := p.jd + (r::int - zz) * 86400000;
    p.vymd := false; p.vhms := false; p.tz := 0;
    RETURN p;
  ELSIF lz LIKE 'start of %' THEN
    IF NOT p.vjd AND NOT p.vymd AND NOT p.vhms THEN RETURN NULL; END IF;
    p := baton_dt_ymd(p);
    p.vhms := true; p.h := 0; p.mi := 0; p.s := 0; p.raws := false; p.tz := 0; p.vjd := false;
    rest := substr(lz, 10);
    IF rest = 'month' THEN p.d := 1;
    ELSIF rest = 'year' THEN p.mo := 1; p.d := 1;
    ELSIF rest <> 'day' THEN RETURN NULL;
    END IF;
    RETURN p;
  ELSIF z0 !~ '^[-+0-9]$' THEN
    RETURN NULL;
  END IF;
  -- (+|-)NNN unit, (+|-)HH:MM[:SS[.FFF]], (+|-)YYYY-MM-DD[ HH:MM[:SS[.FFF]]]
  n := 2;
  LOOP
    c := substr(z, n, 1);
    EXIT WHEN c = '' OR c = ':' OR position(c IN sp) > 0;
    EXIT WHEN c = '-' AND ((n = 6 AND substr(z, 2, 4) ~ '^[0-9]{4}$') OR (n = 7 AND substr(z, 2, 5) ~ '^[0-9]{5}$' AND substr(z, 2, 5)::int <= 14712));
    n := n + 1;
  END LOOP;
  -- n is 1-based here: the prefix is z[1 .. n-1]
  IF substr(z, 1, n - 1) !~ '^[ \t\n\v\f\r]*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?[ \t\n\v\f\r]*$' THEN RETURN NULL; END IF;
  r := coalesce(baton_text_number(substr(z, 1, n - 1), true), 'Infinity'::float8);
  z2 := z;
  IF c = '-' THEN
    IF z0 NOT IN ('+', '-') THEN RETURN NULL; END IF;
    IF n = 6 THEN
      m := regexp_match(substr(z, 2), '^([0-9]{4})-([0-9]{2})-([0-9]{2})');
    ELSE
      m := regexp_match(substr(z, 2), '^([0-9]{5})-([0-9]{2})-([0-9]{2})');
      z := substr(z, 2);
    END IF;
    IF m IS NULL THEN RETURN NULL; END IF;
    yy := m[1]::int; mm := m[2]::int; dd := m[3]::int;
    IF yy > 14712 OR mm > 12 OR dd > 31 OR mm >= 12 OR dd >= 31 THEN RETURN NULL; END IF;
    p := baton_dt_hms(baton_dt_ymd(p)); p.vjd := false;
    IF z0 = '-' THEN p.y := p.y - yy; p.mo := p.mo - mm; dd := -dd; ELSE p.y := p.y + yy; p.mo := p.mo + mm; END IF;
    x := CASE WHEN p.mo > 0 THEN (p.mo - 1) / 12 ELSE (p.mo - 12) / 12 END;
    p.y := p.y + x; p.mo := p.mo - x * 12;
    p := baton_dt_jd(baton_dt_floor(p));
    p.vhms := false; p.vymd := false;
    p.jd := p.jd + dd::bigint * 86400000;
    IF substr(z, 12) = '' THEN RETURN p; END IF;
    IF position(substr(z, 12, 1) IN sp) > 0 AND substr(z, 13) ~ '^[0-9]{2}:[0-9]{2}' AND substr(z, 13, 2)::int <= 24 AND substr(z, 16, 2)::int <= 59 THEN
      z2 := substr(z, 13);
    ELSE
      RETURN NULL;
    END IF;
    c := ':';
  END IF;
  IF c = ':' THEN
    IF substr(z2, 1, 1) !~ '^[0-9]$' THEN z2 := substr(z2, 2); END IF;
    SELECT * INTO res FROM baton_dt_parse_hms(z2, baton_dt_empty());
    IF NOT res.ok THEN RETURN NULL; END IF;
    tx := res.p;
    tx := baton_dt_jd(tx);
    tx.jd := tx.jd - 43200000;
    dayn := tx.jd / 86400000;
    tx.jd := tx.jd - dayn * 86400000;
    IF z0 = '-' THEN tx.jd := -tx.jd; END IF;
    p := baton_dt_jd(p); p.vymd := false; p.vhms := false; p.tz := 0;
    p.jd := p.jd + tx.jd;
    RETURN p;
  END IF;
  rest := ltrim(substr(z, n), sp);
  IF length(rest) < 3 OR length(rest) > 10 THEN RETURN NULL; END IF;
  unit := lower(rest);
  IF right(unit, 1) = 's' THEN unit := left(unit, -1); END IF;
  p := baton_dt_jd(p);
  rounder := CASE WHEN r < 0 THEN -0.5::float8 ELSE 0.5::float8 END;
  p.nfloor := 0;
  SELECT l, f INTO lim, xf FROM (VALUES ('second', 464269992787968::float8, 1::float8), ('minute', 7737900007424, 60), ('hour', 128969998336, 3600),
    ('day', 5373485, 86400), ('month', 176546, 2592000), ('year', 14713, 31536000)) AS u(name, l, f) WHERE u.name = unit;
  IF lim IS NULL OR NOT (r > -lim AND r < lim) THEN
    RETURN NULL;
  END IF;
  IF unit = 'month' THEN
    p := baton_dt_hms(baton_dt_ymd(p));
    p.mo := p.mo + trunc(r)::int;
    x := CASE WHEN p.mo > 0 THEN (p.mo - 1) / 12 ELSE (p.mo - 12) / 12 END;
    p.y := p.y + x; p.mo := p.mo - x * 12;
    p := baton_dt_floor(p); p.vjd := false;
    r := r - trunc(r);
  ELSIF unit = 'year' THEN
    p := baton_dt_hms(baton_dt_ymd(p));
    p.y := p.y + trunc(r)::int;
    p := baton_dt_floor(p); p.vjd := false;
    r := r - trunc(r);
  END IF;
  p := baton_dt_jd(p);
  p.jd := p.jd + trunc(r * 1000::float8 * xf + rounder)::bigint;
  p.vymd := false; p.vhms := false; p.tz := 0;
  RETURN p;
END $fn$`;

/** strftimeFunc, with isDate before it. */
const STRFTIME = String.raw`CREATE OR REPLACE FUNCTION baton_strftime(fmt text, t text, VARIADIC mods text[] DEFAULT '{}') RETURNS text LANGUAGE plpgsql STABLE AS $fn$
DECLARE p baton_datetime; q baton_datetime; i int := 1; c text; res text := ''; piece text; m text; k int := 0; v float8; hh int; w int; jan int;
BEGIN
  IF fmt IS NULL OR t IS NULL THEN RETURN NULL; END IF;
  p := baton_dt_parse(t);
  IF p IS NULL THEN RETURN NULL; END IF;
  FOREACH m IN ARRAY mods LOOP
    k := k + 1;
    IF m IS NULL THEN RETURN NULL; END IF;
    p := baton_dt_modify(p, m, k);
    IF p IS NULL THEN RETURN NULL; END IF;
  END LOOP;
  p := baton_dt_jd(p);
  IF p.err OR p.jd < 0 OR p.jd > 464269060799999 THEN RETURN NULL; END IF;
  IF k = 0 AND p.vymd AND p.d > 28 THEN p.vymd := false; END IF;
  p := baton_dt_hms(baton_dt_ymd(baton_dt_jd(p)));
  WHILE i <= length(fmt) LOOP
    c := substr(fmt, i, 1);
    IF c <> '%' THEN
      res := res || c;
    ELSE
      i := i + 1;
      c := substr(fmt, i, 1);
      IF c IN ('G', 'g', 'V') THEN
        q := p; q.jd := q.jd + (3 - ((p.jd + 43200000) / 86400000) % 7) * 86400000; q.vymd := false; q := baton_dt_ymd(q);
      END IF;
      IF c IN ('j', 'U', 'W', 'V') THEN
        -- daysAfterJan01 of p (of the Thursday q for %V)
        IF c = 'V' THEN
          jan := ((q.jd - (baton_dt_jd((0, q.y, 1, 1, q.h, q.mi, 0, q.s, false, true, q.vhms, 0, false, false, false, false, false)::baton_datetime)).jd + 43200000) / 86400000)::int;
        ELSE
          jan := ((p.jd - (baton_dt_jd((0, p.y, 1, 1, p.h, p.mi, 0, p.s, false, true, p.vhms, 0, false, false, false, false, false)::baton_datetime)).jd + 43200000) / 86400000)::int;
        END IF;
      END IF;
      hh := CASE WHEN p.h > 12 THEN p.h - 12 WHEN p.h = 0 THEN 12 ELSE p.h END;
      w := (((p.jd + 129600000) / 86400000) % 7)::int;
      piece := CASE c
        WHEN 'd' THEN lpad(p.d::text, 2, '0')
        WHEN 'e' THEN lpad(p.d::text, 2, ' ')
        WHEN 'f' THEN baton_printf_fixed(least(p.s, 59.999::float8), 3, 6)
        WHEN 'F' THEN baton_printf_int(p.y, 4) || '-' || lpad(p.mo::text, 2, '0') || '-' || lpad(p.d::text, 2, '0')
        WHEN 'G' THEN baton_printf_int(q.y, 4)
        WHEN 'g' THEN baton_printf_int(q.y % 100, 2)
        WHEN 'H' THEN lpad(p.h::text, 2, '0')
        WHEN 'k' THEN lpad(p.h::text, 2, ' ')
        WHEN 'I' THEN lpad(hh::text, 2, '0')
        WHEN 'l' THEN lpad(hh::text, 2, ' ')
        WHEN 'j' THEN lpad((jan + 1)::text, 3, '0')
        WHEN 'J' THEN baton_printf_g16(p.jd / 86400000.0::float8)
        WHEN 'm' THEN lpad(p.mo::text, 2, '0')
        WHEN 'M' THEN lpad(p.mi::text, 2, '0')
        WHEN 'p' THEN CASE WHEN p.h >= 12 THEN 'PM' ELSE 'AM' END
        WHEN 'P' THEN CASE WHEN p.h >= 12 THEN 'pm' ELSE 'am' END
        WHEN 'R' THEN lpad(p.h::text, 2, '0') || ':' || lpad(p.mi::text, 2, '0')
        WHEN 's' THEN CASE WHEN p.subsec THEN baton_printf_fixed((p.jd - 210866760000000) / 1000.0::float8, 3, 0)
                           ELSE (p.jd / 1000 - 210866760000)::text END
        WHEN 'S' THEN lpad(trunc(p.s)::int::text, 2, '0')
        WHEN 'T' THEN lpad(p.h::text, 2, '0') || ':' || lpad(p.mi::text, 2, '0') || ':' || lpad(trunc(p.s)::int::text, 2, '0')
        WHEN 'u' THEN CASE WHEN w = 0 THEN '7' ELSE w::text END
        WHEN 'w' THEN w::text
        WHEN 'U' THEN lpad(((jan - w + 7) / 7)::text, 2, '0')
        WHEN 'V' THEN lpad((jan / 7 + 1)::text, 2, '0')
        WHEN 'W' THEN lpad(((jan - (((p.jd + 43200000) / 86400000) % 7)::int + 7) / 7)::text, 2, '0')
        WHEN 'Y' THEN baton_printf_int(p.y, 4)
        WHEN '%' THEN '%'
      END;
      IF piece IS NULL THEN RETURN NULL; END IF;
      res := res || piece;
    END IF;
    i := i + 1;
  END LOOP;
  RETURN res;
END $fn$`;

/** printf's %0Nd: zero-padded to N characters, the sign counted ('-01' for -1 in %04d is '-001'). */
const PRINTF_INT = String.raw`CREATE OR REPLACE FUNCTION baton_printf_int(v int, width int) RETURNS text LANGUAGE sql IMMUTABLE AS $fn$
  SELECT CASE WHEN v < 0 THEN '-' || lpad((-v)::text, greatest(width - 1, length((-v)::text)), '0') ELSE lpad(v::text, greatest(width, length(v::text)), '0') END
$fn$`;

/**
 * The exact decimal value of a double (its IEEE bits, from float8send), for SQLite's printf, which
 * rounds the exact value half up (sqlite3FpDecode), where PostgreSQL's conversions keep 15 digits.
 */
const EXACT = String.raw`CREATE OR REPLACE FUNCTION baton_exact(v float8) RETURNS numeric LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE b bytea := float8send(v); bits bigint := 0; e int; mant numeric; i int;
BEGIN
  FOR i IN 0..7 LOOP bits := (bits << 8) | get_byte(b, i); END LOOP;
  e := ((bits >> 52) & 2047)::int;
  mant := (bits & 4503599627370495)::numeric;
  IF e = 0 THEN e := 1; ELSE mant := mant + 4503599627370496; END IF;
  e := e - 1075;
  mant := CASE WHEN e >= 0 THEN mant * power(2::numeric, e) ELSE mant * power(5::numeric, -e) * ('1e' || e)::numeric END;
  RETURN CASE WHEN bits < 0 THEN -mant ELSE mant END;
END $fn$`;

/** printf's %0W.Df (W 0: no padding): the exact value rounded half up to D decimals. */
const PRINTF_FIXED = String.raw`CREATE OR REPLACE FUNCTION baton_printf_fixed(v float8, decimals int, width int) RETURNS text LANGUAGE sql IMMUTABLE AS $fn$
  SELECT CASE WHEN r < 0 THEN '-' || lpad(a, greatest(width - 1, length(a)), '0') ELSE lpad(a, greatest(width, length(a)), '0') END
  FROM (SELECT round(baton_exact(v), decimals) AS r) AS x,
    LATERAL (SELECT to_char(abs(r), 'FM999999999999999990.' || repeat('0', decimals)) AS a) AS y
$fn$`;

/** printf's %.16g as SQLite writes it: 16 significant digits of the exact value, half up, no trailing zeros. */
const PRINTF_G16 = String.raw`CREATE OR REPLACE FUNCTION baton_printf_g16(v float8) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE x numeric; e int; r numeric; s text;
BEGIN
  IF v = 0 THEN RETURN '0'; END IF;
  x := baton_exact(v);
  e := floor(log(abs(x)))::int;
  IF abs(x) < ('1e' || e)::numeric THEN e := e - 1; ELSIF abs(x) >= ('1e' || (e + 1))::numeric THEN e := e + 1; END IF;
  r := round(x, 15 - e);
  IF abs(r) >= ('1e' || (e + 1))::numeric THEN e := e + 1; END IF;
  IF e < -4 OR e >= 16 THEN
    -- %e form: one digit before the point, an exponent of at least two digits
    RETURN trim_scale(round(r * ('1e' || (-e))::numeric, 15))::text || 'e' || CASE WHEN e < 0 THEN '-' ELSE '+' END || lpad(abs(e)::text, 2, '0');
  END IF;
  s := trim_scale(r)::text;
  RETURN s;
END $fn$`;

/** The statements installing strftime(), in order (CREATE OR REPLACE: run on every start). */
export const POSTGRES_STRFTIME = [TYPE, EMPTY, COMPUTE_JD, COMPUTE_YMD, COMPUTE_HMS, COMPUTE_FLOOR, PARSE_HMS, PARSE, MODIFIER, PRINTF_INT, EXACT, PRINTF_FIXED, PRINTF_G16, STRFTIME];
