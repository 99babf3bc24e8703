/**
 * Functions PostgreSQL's dialect uses to compare values as SQLite does (affinity.ts): the text
 * SQLite gives a number, the number SQLite reads in a numeric text, and the JSON text SQLite holds
 * for a JSONB value. Created with the system tables (idempotent). Only comparisons that mix types,
 * `~` on numbers and JSON, and JSON ordered as a whole reach them; comparisons of one type never do.
 */
export const POSTGRES_COMPARE_FUNCTIONS = [
  // A REAL as SQLite writes it (affinity.ts's sqliteNumberText): shortest round-trip digits in
  // `%!.17g` layout, always with a '.': 100.0, 1.0e+20, 1.0e-05. (float8's text is its shortest
  // round-trip form whenever extra_float_digits >= 1, PostgreSQL's default.)
  `CREATE OR REPLACE FUNCTION baton_real_text(x float8) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT
  SET extra_float_digits = 1 AS $fn$
  DECLARE s text; ip text; fp text; d text; e int;
  BEGIN
    IF x = 'NaN'::float8 THEN RETURN NULL; END IF;
    IF x = 'Infinity'::float8 THEN RETURN 'Inf'; END IF;
    IF x = '-Infinity'::float8 THEN RETURN '-Inf'; END IF;
    IF x = 0 THEN RETURN '0.0'; END IF;
    s := abs(x)::text;
    IF position('e' in s) > 0 THEN
      ip := split_part(split_part(s, 'e', 1), '.', 1);
      d := replace(split_part(s, 'e', 1), '.', '');
      e := split_part(s, 'e', 2)::int + length(ip) - 1;
    ELSE
      ip := split_part(s, '.', 1);
      fp := split_part(s, '.', 2);
      d := ltrim(ip || fp, '0');
      e := CASE WHEN ip <> '0' THEN length(ip) - 1 ELSE -(length(fp) - length(ltrim(fp, '0')) + 1) END;
    END IF;
    d := rtrim(d, '0');
    IF d = '' THEN d := '0'; END IF;
    IF e < -4 OR e > 16 THEN
      s := substr(d, 1, 1) || '.' || coalesce(nullif(substr(d, 2), ''), '0') || 'e' || CASE WHEN e < 0 THEN '-' ELSE '+' END || CASE WHEN abs(e) < 10 THEN '0' ELSE '' END || abs(e)::text;
    ELSIF e >= 0 THEN
      IF length(d) < e + 1 THEN d := rpad(d, e + 1, '0'); END IF;
      s := substr(d, 1, e + 1) || '.' || coalesce(nullif(substr(d, e + 2), ''), '0');
    ELSE
      s := '0.' || repeat('0', -e - 1) || d;
    END IF;
    RETURN CASE WHEN x < 0 THEN '-' || s ELSE s END;
  END $fn$`,
  // A numeric text (NUMERIC_TEXT_PATTERN) as SQLite's numeric affinity reads it, whatever its size:
  // the power of ten of its first significant digit says whether it fits a double.
  `CREATE OR REPLACE FUNCTION baton_text_real_wide(t text) RETURNS float8 LANGUAGE plpgsql IMMUTABLE STRICT AS $fn$
  DECLARE m text[]; d text; e numeric; s text;
  BEGIN
    m := regexp_match(t, '^[[:space:]]*([-+]?)([0-9]*)[.]?([0-9]*)(?:[eE]([-+]?[0-9]+))?[[:space:]]*$');
    IF m IS NULL OR m[2] || m[3] = '' THEN RETURN NULL; END IF;
    d := ltrim(m[2] || m[3], '0');
    IF d = '' THEN RETURN 0; END IF;
    e := coalesce(m[4]::numeric, 0) + length(m[2]) - 1 - (length(m[2] || m[3]) - length(d));
    IF e > 308 THEN RETURN CASE WHEN m[1] = '-' THEN '-Infinity'::float8 ELSE 'Infinity'::float8 END; END IF;
    IF e < -324 THEN RETURN 0; END IF;
    s := m[1] || substr(d, 1, 1) || '.' || substr(d, 2) || 'e' || e::text;
    IF e BETWEEN -307 AND 307 THEN RETURN s::float8; END IF;
    BEGIN
      RETURN s::float8;
    EXCEPTION WHEN numeric_value_out_of_range THEN
      RETURN CASE WHEN e < 0 THEN 0 WHEN m[1] = '-' THEN '-Infinity'::float8 ELSE 'Infinity'::float8 END;
    END;
  END $fn$`,
  // The same, for any text: past the largest double it is infinity, below the smallest 0 (where
  // float8's input raises an error). Most texts are short and have no exponent: they take the plain
  // cast (a SQL function, inlined).
  `CREATE OR REPLACE FUNCTION baton_text_real(t text) RETURNS float8 LANGUAGE sql IMMUTABLE AS $fn$
    SELECT CASE WHEN length(t) < 300 AND t !~ '[eE]' THEN t::float8 ELSE baton_text_real_wide(t) END
  $fn$`,
  // A number as SQLite writes it: an INTEGER (a whole number in int64's range, as a NUMERIC
  // column stores it) as its digits, a REAL by baton_real_text, or as float8's own text where that
  // is already SQLite's (plain digits with a '.': 2.5, 0.001). (Not STRICT, so it is inlined.)
  `CREATE OR REPLACE FUNCTION baton_number_text(x float8) RETURNS text LANGUAGE sql IMMUTABLE AS $fn$
    SELECT CASE WHEN x = trunc(x) AND abs(x) < 9223372036854775807::float8 THEN trunc(x)::bigint::text
      WHEN x::text ~ '^-?[0-9]+[.][0-9]+$' THEN x::text ELSE baton_real_text(x) END
  $fn$`,
  // A JSON value as the text Baton writes on SQLite (JSON.stringify of the stored value): compact,
  // object keys sorted (Baton sorts them on write, as PocketBase's Go map marshalling does), where
  // a JavaScript object puts keys that are array indexes ('0' to '4294967294') first, in numeric
  // order; numbers as JavaScript writes them, strings escaped as JSONB escapes them (which is
  // JSON.stringify's escaping). \`geo\`: an object of exactly lon and lat is a geoPoint, which
  // Baton writes lon first.
  `CREATE OR REPLACE FUNCTION baton_json_text_any(j jsonb, geo boolean) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $fn$
  DECLARE s text; n float8;
  BEGIN
    CASE jsonb_typeof(j)
      WHEN 'object' THEN
        IF geo AND (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(j) AS k) = ARRAY['lat', 'lon']::text[] THEN
          RETURN '{"lon":' || baton_json_text(j -> 'lon') || ',"lat":' || baton_json_text(j -> 'lat') || '}';
        END IF;
        SELECT string_agg(to_jsonb(k)::text || ':' || baton_json_text(v, geo), ',' ORDER BY
            CASE WHEN k ~ '^(0|[1-9][0-9]{0,8})$' OR (k ~ '^[1-9][0-9]{9}$' AND k <= '4294967294') THEN lpad(k, 10, '0') END COLLATE "C" NULLS LAST,
            k COLLATE "C")
          INTO s FROM jsonb_each(j) AS e(k, v);
        RETURN '{' || coalesce(s, '') || '}';
      WHEN 'array' THEN
        SELECT string_agg(baton_json_text(v, geo), ',' ORDER BY i) INTO s FROM jsonb_array_elements(j) WITH ORDINALITY AS a(v, i);
        RETURN '[' || coalesce(s, '') || ']';
      WHEN 'number' THEN
        n := (j #>> '{}')::float8;
        IF n <> 0 AND (abs(n) >= 1e21 OR abs(n) < 1e-6) THEN
          RETURN regexp_replace(n::text, 'e([-+])0*(\\d)', 'e\\1\\2');
        END IF;
        RETURN j::text;
      ELSE
        RETURN j::text;
    END CASE;
  END $fn$`,
  // The same, with a fast way for the usual multi-value field, an array of strings without a
  // backslash (so every '"' delimits a string): JSONB's text but for the space after each comma.
  // (Not STRICT, so it is inlined; baton_json_text_any is, so NULL gives NULL.)
  // geoDistance's angles with a magnitude under 1e-100 degrees read as 0: PostgreSQL raises an
  // underflow error where a product or quotient of non-zero doubles rounds to 0 (SQLite, in C,
  // quietly gives 0), and with every angle 0 or past 1e-100 no step of the haversine gets there.
  // The distance moves by under 1e-96 km.
  `CREATE OR REPLACE FUNCTION baton_no_tiny(x float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS $fn$
    SELECT CASE WHEN abs(x) < 1e-100 THEN 0::float8 ELSE x END
  $fn$`,
  `CREATE OR REPLACE FUNCTION baton_json_text(j jsonb, geo boolean DEFAULT false) RETURNS text LANGUAGE sql IMMUTABLE AS $fn$
    SELECT CASE WHEN jsonb_typeof(j) = 'array' AND j::text ~ '^\\[("[^"\\\\]*"(, "[^"\\\\]*")*)?\\]$' THEN replace(j::text, '", "', '","')
      ELSE baton_json_text_any(j, geo) END
  $fn$`,
];
