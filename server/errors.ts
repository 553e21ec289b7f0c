// Errors a person can cause, or act on, in Tandem's own terms. Domain code throws these with a
// message that says what to do; only the HTTP edge (http/errors.ts) turns a kind into a status
// code, so rooms, execution and contents never know they are served over HTTP.

export type ErrorKind =
  /** The request itself is wrong: bad input, an invalid notebook, a cell that cannot be run so. */
  | 'invalid'
  /** Who is asking is not known. */
  | 'unauthenticated'
  /** Who is asking may not do this. */
  | 'forbidden'
  /** The thing asked for does not exist (or is not visible to the asker). */
  | 'not_found'
  /** The thing exists but is in a state that does not allow this now. */
  | 'conflict'
  /** The server cannot serve this now (shutting down); trying again elsewhere or later may work. */
  | 'unavailable'
  /** The asker already holds as much of something as one may (queued runs, sockets). */
  | 'too_many';

export class TandemError extends Error {
  override readonly name = 'TandemError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** A short machine-readable reason, as Jupyter Server gives; defaults to the kind. */
    readonly reason: string = kind,
  ) {
    super(message);
  }
}

export const invalid = (message: string, reason = 'bad_request') => new TandemError('invalid', message, reason);
export const unauthenticated = (message = 'Sign in with a token to use Tandem', reason = 'unauthorized') => new TandemError('unauthenticated', message, reason);
export const forbidden = (message = 'You do not have access to this') => new TandemError('forbidden', message, 'forbidden');
export const notFound = (message: string) => new TandemError('not_found', message, 'not_found');
export const conflict = (message: string) => new TandemError('conflict', message, 'conflict');
export const unavailable = (message: string) => new TandemError('unavailable', message, 'unavailable');
export const tooMany = (message: string, reason = 'too_many') => new TandemError('too_many', message, reason);
