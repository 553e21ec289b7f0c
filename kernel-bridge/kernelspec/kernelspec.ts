// A kernelspec (kernels/<name>/kernel.json), read and validated the way jupyter_client reads it.
// https://jupyter-client.readthedocs.io/en/stable/kernels.html#kernel-specs

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv } from 'ajv';

export type InterruptMode = 'signal' | 'message';

export interface KernelSpec {
  /** Directory name, lower-cased as jupyter_client does: what notebooks store in their metadata. */
  name: string;
  /** The spec's directory; `{resource_dir}` in argv stands for it. */
  resourceDir: string;
  /** Command line; `{connection_file}` is replaced by the connection file's path. */
  argv: string[];
  displayName: string;
  language: string;
  interruptMode: InterruptMode;
  /** Extra environment; values may name other variables as `${VAR}`. */
  env: Record<string, string>;
  metadata: Record<string, unknown>;
}

interface KernelJson {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: InterruptMode;
  env: Record<string, string>;
  metadata: Record<string, unknown>;
}

const ajv = new Ajv({ useDefaults: true, strict: true });
const validateKernelJson = ajv.compile<KernelJson>({
  type: 'object',
  required: ['argv', 'display_name'],
  properties: {
    argv: { type: 'array', items: { type: 'string' }, minItems: 1 },
    display_name: { type: 'string' },
    language: { type: 'string', default: '' },
    interrupt_mode: { enum: ['signal', 'message'], default: 'signal' },
    env: { type: 'object', additionalProperties: { type: 'string' }, default: {} },
    metadata: { type: 'object', default: {} },
  },
});

const KERNEL_NAME = /^[a-z0-9._-]+$/i;

export function isValidKernelName(name: string): boolean {
  return KERNEL_NAME.test(name);
}

export class InvalidKernelSpec extends Error {
  constructor(file: string, reason: string) {
    super(`Invalid kernelspec ${file}: ${reason}`);
    this.name = 'InvalidKernelSpec';
  }
}

/** Reads `<resourceDir>/kernel.json`; throws InvalidKernelSpec with the reason if it is unusable. */
export async function readKernelSpec(resourceDir: string): Promise<KernelSpec> {
  const file = path.join(resourceDir, 'kernel.json');
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new InvalidKernelSpec(file, error instanceof SyntaxError ? 'not JSON' : 'unreadable');
  }
  if (!validateKernelJson(json)) throw new InvalidKernelSpec(file, ajv.errorsText(validateKernelJson.errors));
  return {
    name: path.basename(resourceDir).toLowerCase(),
    resourceDir,
    argv: json.argv,
    displayName: json.display_name,
    language: json.language,
    interruptMode: json.interrupt_mode,
    env: json.env,
    metadata: json.metadata,
  };
}
