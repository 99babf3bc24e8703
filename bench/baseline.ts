// The bare baseline: node:http + better-sqlite3 answering the benchmark's three requests with
// hand-written SQL over the same data.db Baton serves. No framework, no rules, no validation.
// Usage: node --import tsx bench/baseline.ts path/to/data.db PORT
import { serveBaseline } from './baseline-http.ts';
import { openSqlitePosts } from './sqlite-posts.ts';

const [dbFile, portArg] = process.argv.slice(2);
serveBaseline(Number(portArg), openSqlitePosts(dbFile));
