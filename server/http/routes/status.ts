// GET /api/status: readiness, open to anyone. It says nothing secret.

import type { FastifyInstance } from 'fastify';

export interface StatusSource {
  startedAt: Date;
  rooms(): number;
  connections(): number;
  kernels(): number;
}

export function statusRoutes(app: FastifyInstance, source: StatusSource): void {
  app.get('/api/status', { config: { anonymous: true } }, async () => ({
    started: source.startedAt.toISOString(),
    last_activity: new Date().toISOString(),
    rooms: source.rooms(),
    connections: source.connections(),
    kernels: source.kernels(),
  }));
}
