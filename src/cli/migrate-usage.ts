/** `baton migrate --help`: kept apart from migrate.ts so the CLI's help loads no database code. */
export const MIGRATE_USAGE = `Usage:
  baton migrate copy --from=DIR|URL --to=DIR|URL [--force]

Copies a whole Baton (collections, records, settings, applied migrations, logs) between a data
directory (SQLite: data.db + auxiliary.db), PostgreSQL (postgres://user@host:5432/name) and
MySQL/MariaDB (mysql://user@host:3306/name), in any direction, then verifies every table on both
ends (row counts and a checksum of the rows) and exits non-zero if any differs.

  --from   the Baton to copy: a data directory or a database URL
  --to     where to copy it: a data directory (created if missing, and removed again if the
           copy fails or is interrupted before writing it) or an empty database
  --force  the target already holds a Baton: drop it first (only the tables its own collections
           list and Baton's system tables; nothing else in that database is touched). The source
           itself is never a target: one database named two ways (another host name or port) is
           refused before anything is written

Files (storage/) are copied only from a directory to a directory. With a database URL at either
end they stay where they are: after
  baton migrate copy --from=./pb_data --to=postgres://user@host/app
serve the copy with
  baton serve --db=postgres://user@host/app --dir=./pb_data
Tokens and passwords stay valid: keys, hashes and settings are copied as they are.

Ctrl-C (SIGINT) or SIGTERM stops the copy after the batch under way, as a failed copy (exit code
130 or 143; a second one stops at once, leaving a directory the copy made). The target is written
in one transaction on SQLite and PostgreSQL (an interrupted copy leaves it unchanged); MySQL cannot roll back table changes, so there a failed or interrupted copy leaves
the target marked unfinished, which baton serve refuses until the copy is run again with --force. A view's query is copied as written, in the source database's SQL: a view the
target refuses is reported (the rest is copied) and the command exits non-zero; fix its query in
the collection's settings on the target. A SQLite directory must not be served while it is copied.
Stop writers to a database source during the copy, or the verification reports the difference.
Values are copied as stored; text that is not JSON in a JSON column (SQLite keeps it) cannot go
into PostgreSQL or MySQL: the copy stops and names the table, column and record.
`;
