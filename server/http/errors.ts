// The one place where Tandem's error kinds become HTTP status codes. Anything that is not a
// TandemError (or a Fastify validation error) is logged in full and answered with a generic 500:
// no stack traces or internals in replies.

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorKind, TandemError } from '../errors';

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
  too_many: 429,
};

export function statusOf(error: TandemError): number {
  return STATUS[error.kind];
}

export function handleError(error: FastifyError | TandemError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof TandemError) {
    void reply.status(statusOf(error)).send({ message: error.message, reason: error.reason });
    return;
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    void reply.status(400).send({ message: `Invalid request: ${fastifyError.message}`, reason: 'invalid_request' });
    return;
  }
  const status = fastifyError.statusCode;
  if (status && status >= 400 && status < 500) {
    void reply.status(status).send({ message: fastifyError.message, reason: fastifyError.code ?? null });
    return;
  }
  request.log.error({ err: error }, 'request failed');
  void reply.status(500).send({ message: 'Something went wrong on the server; it has been logged.', reason: 'internal' });
}

// The edge's own names for the kinds it raises itself (request checks, auth).
export { forbidden, invalid as badRequest, notFound, unauthenticated as unauthorized } from '../errors';
