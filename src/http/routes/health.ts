import type { FastifyInstance } from 'fastify';

export function healthRoutes(api: FastifyInstance): void {
  api.get('/health', async (request) => {
    const data: Record<string, unknown> = {};
    if (request.ctx.principal.kind === 'superuser') {
      data.canBackup = true;
      data.realIP = request.ip;
      const proxyHeader = ['cf-connecting-ip', 'fly-client-ip', 'x-forwarded-for'].find((h) => request.headers[h]);
      data.possibleProxyHeader = proxyHeader ?? '';
    }
    return { message: 'API is healthy.', code: 200, data };
  });
}
