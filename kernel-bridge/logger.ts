// The logging surface the bridge writes to. It is the subset of pino's API that we use, so the
// server can pass `app.log.child({ component: 'kernel-bridge' })` straight in.

export type LogFn = (fields: Record<string, unknown>, message: string) => void;

export interface BridgeLogger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const ignore: LogFn = () => {};

/** Default when the caller passes no logger: the bridge stays quiet. */
export const silentLogger: BridgeLogger = { debug: ignore, info: ignore, warn: ignore, error: ignore };

/** Message of an unknown thrown value, for log fields and people. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
