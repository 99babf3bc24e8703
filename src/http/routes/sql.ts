import type { FastifyInstance } from 'fastify';
import type { Services } from '../../domain/services.ts';
import { runSqlConsole } from '../../domain/sql-console.ts';
import { requireSuperuser, sendJson } from '../respond.ts';

const sqlConfig = { invalidBodyMessage: 'An error occurred while loading the submitted data.' };

/** PocketBase's `POST /api/sql` (apis/sql.go): the dashboard's SQL console; superusers only. */
export function sqlRoutes(api: FastifyInstance, services: Services): void {
  api.register(async (scope) => {
    // Before the body is read: strangers get their 401/403 without making us parse anything.
    scope.addHook('onRequest', async (request) => requireSuperuser(request));
    scope.post('/sql', { config: sqlConfig }, async (request, reply) => sendJson(request, reply, await runSqlConsole(services.db, request.body)));
  });
}
