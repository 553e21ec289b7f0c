// Label keys on everything the Kubernetes runtime creates, and label values made safe from any
// input. A label value is at most 63 characters of [A-Za-z0-9._-], starting and ending with an
// alphanumeric; notebook ids, environment ids and server ids usually are already, and then are
// used as they are, so that `tandem.notebook=<fileId>` selects a notebook's objects. Anything
// else (unicode, dots at the ends, very long) becomes a readable prefix plus a hash of the whole,
// so that two different inputs never share a value.

import { createHash } from 'node:crypto';

export const NOTEBOOK_LABEL = 'tandem.notebook';
export const SERVER_LABEL = 'tandem.server';
export const ENVIRONMENT_LABEL = 'tandem.environment';
/** `kernel` on kernel pods; `server` on Tandem's own pods, the only ones a kernel's NetworkPolicy admits. */
export const ROLE_LABEL = 'tandem.role';
/** The pod's own name, for the NetworkPolicy's pod selector. */
export const KERNEL_LABEL = 'tandem.kernel';
/** `true` on a warm kernel that no notebook has claimed yet (its notebook label is `none`). */
export const WARM_LABEL = 'tandem.warm';
/** The notebook label of a warm kernel nobody has claimed. */
export const UNCLAIMED_NOTEBOOK = 'none';

const VALID_VALUE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/;
const HASH_CHARS = 12;

export function labelValue(input: string): string {
  if (VALID_VALUE.test(input)) return input;
  const hash = createHash('sha256').update(input, 'utf8').digest('hex').slice(0, HASH_CHARS);
  const readable = input
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 63 - HASH_CHARS - 1)
    .replace(/[^A-Za-z0-9]+$/, '');
  return readable ? `${readable}-${hash}` : hash;
}
