// Runs in Node's module-hooks thread: appends each bare specifier (a package, not a relative
// file or a node: builtin) to the file named by TANDEM_MODULE_TRACE, one per line.
import { appendFileSync } from 'node:fs';

const traceFile = process.env.TANDEM_MODULE_TRACE;

export async function resolve(specifier, context, next) {
  if (traceFile && !/^(\.|\/|node:|file:|data:)/.test(specifier)) appendFileSync(traceFile, `${specifier}\n`);
  return next(specifier, context);
}
