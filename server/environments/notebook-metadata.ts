// Reads what decides a notebook's environment from its shared document: the specification at
// metadata.tandem.environment and the kernelspec name, as plain JSON whatever Yjs types a
// client used to write them. Validation happens later, where errors can be shown.

import * as Y from 'yjs';
import { ENVIRONMENT_METADATA_KEY } from '../../common/doc-schema';

/** metadata.tandem.environment as stored, or undefined when the notebook declares none. */
export function environmentSpecOf(doc: Y.Doc): unknown {
  const tandem = plain(metadataOf(doc)?.get(ENVIRONMENT_METADATA_KEY));
  const environment = tandem && typeof tandem === 'object' ? (tandem as Record<string, unknown>).environment : undefined;
  return environment === null ? undefined : environment;
}

/** metadata.tandem.resources as stored (memory and CPUs asked for), or undefined; checked where it is used. */
export function resourcesOf(doc: Y.Doc): unknown {
  const tandem = plain(metadataOf(doc)?.get(ENVIRONMENT_METADATA_KEY));
  const resources = tandem && typeof tandem === 'object' ? (tandem as Record<string, unknown>).resources : undefined;
  return resources === null ? undefined : resources;
}

/** metadata.kernelspec.name, if it is a non-empty string. */
export function kernelNameOf(doc: Y.Doc): string | undefined {
  const kernelspec = plain(metadataOf(doc)?.get('kernelspec'));
  const name = kernelspec && typeof kernelspec === 'object' ? (kernelspec as { name?: unknown }).name : undefined;
  return typeof name === 'string' && name ? name : undefined;
}

function metadataOf(doc: Y.Doc): Y.Map<unknown> | undefined {
  const metadata = doc.getMap('meta').get('metadata');
  return metadata instanceof Y.Map ? metadata : undefined;
}

function plain(value: unknown): unknown {
  return value instanceof Y.AbstractType ? (value.toJSON() as unknown) : value;
}
