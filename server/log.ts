// Structured logs (pino, through Fastify) on stderr. Tokens never reach them: URLs are
// logged with their token parameter masked, and auth headers and cookies are redacted.

import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';
import type pretty from 'pino-pretty';

/**
 * pino-pretty and its dependencies are loaded only for pretty logs (a terminal): a server
 * logging JSON, as one under a supervisor does, does not hold them.
 */
const loadPretty = (): typeof pretty => createRequire(import.meta.url)('pino-pretty') as typeof pretty;

/** A query key as the server's query parser reads it: `%74oken` is `token`. */
function decodedKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return key.toLowerCase();
  }
}

export function redactUrl(url: string): string {
  const start = url.indexOf('?');
  if (start < 0) return url;
  const hash = url.indexOf('#', start);
  const end = hash < 0 ? url.length : hash;
  const params = url
    .slice(start + 1, end)
    .split('&')
    .map((param) => {
      const equals = param.indexOf('=');
      const key = equals < 0 ? param : param.slice(0, equals);
      return decodedKey(key) === 'token' ? `${key}=[redacted]` : param;
    });
  return `${url.slice(0, start + 1)}${params.join('&')}${url.slice(end)}`;
}

export function createLogger(level: string, format: 'pretty' | 'json'): Logger {
  const options: pino.LoggerOptions = {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', '*.token', 'token'],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: { method?: string; url?: string; ip?: string }) => ({
        method: req.method,
        url: req.url ? redactUrl(req.url) : undefined,
        remoteAddress: req.ip,
      }),
      err: pino.stdSerializers.err,
    },
  };
  const stream =
    format === 'pretty'
      ? loadPretty()({ destination: 2, colorize: process.stderr.isTTY, translateTime: 'HH:MM:ss', ignore: 'pid,hostname,reqId' })
      : pino.destination({ fd: 2, sync: true });
  return pino(options, stream);
}
