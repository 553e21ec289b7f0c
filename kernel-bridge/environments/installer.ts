// The commands that make an environment, for each installer. Both give the same result: a venv
// over the base interpreter (whose packages, ipykernel among them, stay visible underneath),
// with the requirements and their whole dependency closure installed inside it. pip is told to
// ignore what the base already has because uv never looks there; without that, the same
// specification would give different environments depending on which installer built it.

import path from 'node:path';
import type { Interpreter } from './interpreter';
import type { IndexOptions } from './spec';

export interface Command {
  command: string;
  args: string[];
}

export interface Installer {
  readonly kind: 'uv' | 'pip';
  createVenv(base: Interpreter, dir: string): Command;
  /** Installs `packages` (requirement lines or wheel paths) into the environment at `dir`. */
  install(dir: string, packages: string[], index: IndexOptions, options?: { noDeps?: boolean }): Command;
}

export function envPython(dir: string): string {
  return path.join(dir, 'bin', 'python');
}

export class UvInstaller implements Installer {
  readonly kind = 'uv';

  constructor(private readonly uv: string) {}

  createVenv(base: Interpreter, dir: string): Command {
    return { command: this.uv, args: ['venv', '--no-config', '--system-site-packages', '--prompt', 'tandem', '--python', base.path, dir] };
  }

  install(dir: string, packages: string[], index: IndexOptions, options: { noDeps?: boolean } = {}): Command {
    return {
      command: this.uv,
      args: ['pip', 'install', '--no-config', '--python', envPython(dir), ...indexArgs(index), ...(options.noDeps ? ['--no-deps'] : []), ...packages],
    };
  }
}

export class PipInstaller implements Installer {
  readonly kind = 'pip';

  createVenv(base: Interpreter, dir: string): Command {
    // A base with pip lends it to the venv (through its site-packages); seeding a copy with
    // ensurepip would take seconds for nothing.
    return { command: base.path, args: ['-m', 'venv', '--system-site-packages', '--prompt', 'tandem', ...(base.hasPip ? ['--without-pip'] : []), dir] };
  }

  install(dir: string, packages: string[], index: IndexOptions, options: { noDeps?: boolean } = {}): Command {
    return {
      command: envPython(dir),
      args: [
        '-m',
        'pip',
        'install',
        '--no-input',
        '--disable-pip-version-check',
        '--progress-bar',
        'off',
        '--no-color',
        '--ignore-installed',
        ...indexArgs(index),
        ...(options.noDeps ? ['--no-deps'] : []),
        ...packages,
      ],
    };
  }
}

function indexArgs(index: IndexOptions): string[] {
  return [
    ...(index.indexUrl ? ['--index-url', index.indexUrl] : []),
    ...index.extraIndexUrls.flatMap((url) => ['--extra-index-url', url]),
    ...index.findLinks.flatMap((where) => ['--find-links', where]),
    ...(index.noIndex ? ['--no-index'] : []),
  ];
}
