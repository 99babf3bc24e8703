/**
 * Default statement budgets, overridden by `--query-timeout` / `--client-query-timeout`. The system
 * budget covers Baton's own work and superusers' requests; the client budget, reads made for
 * guests and users (`Database.forClients`) and, on SQLite, the guarded statements of write
 * transactions (clients' rule checks). PostgreSQL and MySQL enforce them as the sessions'
 * statement timeouts; SQLite through loop guards (dialects/sqlite-budget.ts).
 */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;
export const DEFAULT_CLIENT_STATEMENT_TIMEOUT_MS = 5_000;
