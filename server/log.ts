// Structured logs (pino, through Fastify) on stderr. Tokens never reach them: URLs are
// logged with their token parameter masked, and auth headers and cookies are redacted.

import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, '$1[redacted]');
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
      ? pretty({ destination: 2, colorize: process.stderr.isTTY, translateTime: 'HH:MM:ss', ignore: 'pid,hostname,reqId' })
      : pino.destination({ fd: 2, sync: true });
  return pino(options, stream);
}
