// `tandem serve`: starts the server, prints the sign-in URL, and shuts down cleanly on
// SIGINT or SIGTERM (saving every open notebook first). A second signal exits at once.
// `tandem run NOTEBOOK` runs one job without a server (see jobs/run-command.ts).
// `tandem copy --to|--from s3://BUCKET/PREFIX` moves a root and its state (storage/copy-command.ts).

import { createTandem } from './app';
import { type Config, ConfigError, loadConfig, usage } from './config';
import { RUN_USAGE, runCommand } from './jobs/run-command';
import { createLogger } from './log';
import { COPY_USAGE, copyCommand } from './storage/copy-command';

const ROOT_WARNING =
  'Tandem runs as root with local kernels: every kernel, and so anyone with a run link, runs code as root. Start it as an ordinary user, or use --runtime container to isolate kernels.';

async function main(argv: string[]): Promise<void> {
  // `npm start -- run X` reaches here as `serve run X`: npm start's script names `serve`.
  const run = argv[0] === 'run' ? argv.slice(1) : argv[0] === 'serve' && argv[1] === 'run' ? argv.slice(2) : undefined;
  if (run) {
    if (run.includes('--help') || run.includes('-h')) process.stdout.write(RUN_USAGE);
    else {
      const code = await runCommand(run, process.env);
      // Exit once stdout is written: a library's stray timer must not keep a finished run alive.
      process.stdout.write('', () => process.exit(code));
    }
    return;
  }
  const copy = argv[0] === 'copy' ? argv.slice(1) : argv[0] === 'serve' && argv[1] === 'copy' ? argv.slice(2) : undefined;
  if (copy) {
    if (copy.includes('--help') || copy.includes('-h')) process.stdout.write(COPY_USAGE);
    else {
      const code = await copyCommand(copy, process.env);
      process.stdout.write('', () => process.exit(code));
    }
    return;
  }
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || rest.includes('--help')) {
    process.stdout.write(usage());
    return;
  }
  if (command !== 'serve') {
    process.stderr.write(`Unknown command ${command ?? '(none)'}.\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  let config: Config;
  try {
    config = loadConfig(rest, process.env, Boolean(process.stderr.isTTY));
  } catch (error) {
    if (error instanceof ConfigError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(error as Error).message}\n\n${usage()}`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, config.logFormat);
  process.on('uncaughtException', (error) => {
    // Nothing a client or kernel does should get here; if something does, say so loudly
    // but keep serving everyone else.
    logger.error({ err: error }, 'uncaught exception');
  });
  process.on('unhandledRejection', (error) => logger.error({ err: error }, 'unhandled rejection'));
  const tandem = await createTandem(config, logger);
  logger.info({ root: config.root, stateDir: config.stateDir, host: tandem.host, port: tandem.port }, 'Tandem started');
  if (config.runtime === 'local' && process.getuid?.() === 0) {
    // Not refused: root-only containers run the embedded default. But it must be said.
    logger.warn({ runtime: 'local' }, ROOT_WARNING);
  }
  if (config.rotateToken) {
    process.stdout.write('The server token was rotated: links and owner sign-ins from before no longer work; use the link below.\n');
  }
  process.stdout.write(`Tandem is running at ${tandem.url}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: saving notebooks and closing connections');
    tandem.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`Tandem could not start: ${(error as Error).message}\n`);
  process.exit(1);
});
