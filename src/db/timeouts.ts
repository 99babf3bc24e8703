/**
 * Statement budgets on the databases that can cut a statement off (PostgreSQL, MySQL): Baton's own
 * work and superusers' requests, and reads made for clients (`Database.forClients`).
 */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;
export const DEFAULT_CLIENT_STATEMENT_TIMEOUT_MS = 5_000;
