// The id of an environment: a hash of everything that decides what gets installed, and on what.
// Equal inputs give equal ids, so notebooks asking for the same thing share one build; the same
// function names local environments and the container images built from a specification.

import { createHash } from 'node:crypto';
import type { IndexOptions } from './spec';

/** What the environment is layered on. */
export type EnvironmentBase =
  /** A local interpreter: a venv over it sees its packages (ipykernel among them, if it has it). */
  | { kind: 'interpreter'; path: string; version: string }
  /** A kernel base image (images/kernel), by reference. */
  | { kind: 'image'; image: string };

export interface EnvironmentInputs {
  base: EnvironmentBase;
  /** Canonical requirement lines, sorted. */
  requirements: string[];
  index: IndexOptions;
  /** True when ipykernel must be installed because the base lacks it. */
  installsKernel: boolean;
  /** Fingerprint of the Tandem helper package that goes in, or null when there is none yet. */
  helper: string | null;
}

// Bumped when the layout of a built environment changes, so old builds are not reused.
const FORMAT = 1;
const ID_HEX_CHARS = 24;

export function environmentId(inputs: EnvironmentInputs): string {
  const canonical = JSON.stringify({
    format: FORMAT,
    base: inputs.base,
    requirements: inputs.requirements,
    index: {
      indexUrl: inputs.index.indexUrl ?? null,
      extraIndexUrls: inputs.index.extraIndexUrls,
      findLinks: inputs.index.findLinks,
      noIndex: inputs.index.noIndex,
    },
    installsKernel: inputs.installsKernel,
    helper: inputs.helper,
  });
  // 96 bits: no accidental collisions among any number of environments one server will see.
  return createHash('sha256').update(canonical).digest('hex').slice(0, ID_HEX_CHARS);
}
