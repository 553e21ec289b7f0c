// Errors a user can cause carry a status and a message a person can act on. Anything else
// is logged in full and answered with a generic 500: no stack traces or internals in replies.

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly statusCode: number,
    message: string,
    /** A short machine-readable reason, as Jupyter Server gives. */
    readonly reason?: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, reason = 'bad_request') => new HttpError(400, message, reason);
export const unauthorized = (message = 'Sign in with a token to use Tandem') => new HttpError(401, message, 'unauthorized');
export const forbidden = (message = 'You do not have access to this') => new HttpError(403, message, 'forbidden');
export const notFound = (message: string) => new HttpError(404, message, 'not_found');
export const conflict = (message: string) => new HttpError(409, message, 'conflict');

export function handleError(error: FastifyError | HttpError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof HttpError) {
    void reply.status(error.statusCode).send({ message: error.message, reason: error.reason ?? null });
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
