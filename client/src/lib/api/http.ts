// One place that talks HTTP to the Tandem server: same-origin, cookie-authenticated, and
// turning every failure into an ApiError whose message a person can act on.

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Encodes a contents path segment by segment, so `/` stays a separator. */
export function encodePath(path: string): string {
  return path
    .split('/')
    .filter((part) => part !== '')
    .map(encodeURIComponent)
    .join('/');
}

const FALLBACK_MESSAGES: Record<number, string> = {
  401: 'Your session has ended. Open the link with your token again to sign in.',
  403: 'You do not have permission to do that.',
  404: 'That file or folder no longer exists.',
  409: 'That name is already taken.',
  413: 'That file is too large for the server.',
  500: 'The server hit an unexpected error. Try again in a moment.',
  502: 'The server is not reachable right now. Try again in a moment.',
  503: 'The server is busy or starting. Try again in a moment.',
};

async function errorFrom(res: Response): Promise<ApiError> {
  let message = '';
  let reason: string | undefined;
  try {
    const body: unknown = await res.json();
    if (body && typeof body === 'object') {
      const b = body as { message?: unknown; reason?: unknown };
      if (typeof b.message === 'string') message = b.message;
      if (typeof b.reason === 'string') reason = b.reason;
    }
  } catch {
    // Not JSON (a proxy's error page, say): fall back to a message keyed by status.
  }
  if (!message) {
    message = FALLBACK_MESSAGES[res.status] ?? `The server answered ${res.status} ${res.statusText}.`;
  }
  return new ApiError(message, res.status, reason);
}

export interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal;
}

/** Sends a JSON request and returns the parsed JSON reply (or undefined for 204). */
export async function request<T>(method: string, url: string, options: RequestOptions = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: options.body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError('Cannot reach the Tandem server. Check that it is running and that you are online.', 0);
  }
  if (!res.ok) throw await errorFrom(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A message for any thrown value, for toasts and banners. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error && err.message) return err.message;
  return 'Something went wrong.';
}
