// A real Tandem server for a browser test: port 0, a temporary root, a known token. It is the
// shared test server (test/helpers/tandem.ts: `node dist/server/cli.mjs serve`, as
// `npm start` runs it), with the small API the browser tests use.

import { removeRoot, type StartOptions, startTandem as startServer, type TandemProcess } from '../../helpers/tandem';

export interface Tandem {
  url: string;
  token: string;
  root: string;
  /** The server process, for its logs. */
  server: TandemProcess;
  /** Calls the API as the owner, with the token header; throws on an error status. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

export type TandemOptions = Pick<StartOptions, 'args' | 'env'>;

export async function startTandem(options: TandemOptions = {}): Promise<Tandem> {
  const server = await startServer({
    args: options.args,
    // Browser tests read no server logs unless something fails; keep them short.
    env: { TANDEM_LOG_LEVEL: process.env.TANDEM_LOG_LEVEL ?? 'warn', ...options.env },
  });

  async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await server.api(method, path, body);
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  return {
    url: server.base,
    token: server.token,
    root: server.root,
    server,
    api,
    async stop() {
      const stopped = server.stop();
      // A server that does not stop in time is killed: a test run must not hang on it.
      const timer = setTimeout(() => void server.kill9(), 10_000);
      await stopped;
      clearTimeout(timer);
      removeRoot(server.root);
    },
  };
}
