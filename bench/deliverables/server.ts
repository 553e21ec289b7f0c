// The owner's side of the HTTP API for the deliverables benchmarks: JSON in, JSON out, an
// error with the status and body on anything but 2xx. The token goes in a header, never in a
// message.
import type { ServerInfo } from '../servers/types.js';

export interface Api {
  base: string;
  json<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

export function ownerApi(info: ServerInfo): Api {
  const base = `http://${info.host}:${info.port}`;
  return {
    base,
    async json<T>(method: string, path: string, body?: unknown): Promise<T> {
      const headers: Record<string, string> = { authorization: `token ${info.token}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path} -> ${response.status}: ${text.slice(0, 300)}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
  };
}

/** A message safe to print: any token in a URL is masked. */
export function withoutTokens(message: string): string {
  return message.replace(/token=[^&\s"']+/g, 'token=…');
}
