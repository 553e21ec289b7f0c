// Tandem's keys in the notebook's metadata (`metadata.tandem`): the environment specification
// and the query mode. They are plain JSON under one key, so a change rewrites that key whole;
// each write keeps the keys it does not change. Editors write them like any metadata, and the
// server reads them from the document.

import { ENVIRONMENT_METADATA_KEY, type EnvironmentSpec } from '@common/doc-schema';
import * as Y from 'yjs';
import { LOCAL_ORIGIN } from './session.svelte';

export type QueryMode = 'reproducible' | 'live';

export interface TandemMetadata {
  /** The specification as stored: not validated here (the server says what is wrong with it). */
  environment?: unknown;
  queries?: unknown;
  [key: string]: unknown;
}

function metadataMap(ydoc: Y.Doc): Y.Map<unknown> | null {
  const metadata = ydoc.getMap('meta').get('metadata');
  return metadata instanceof Y.Map ? (metadata as Y.Map<unknown>) : null;
}

export function readTandem(ydoc: Y.Doc): TandemMetadata {
  const value = metadataMap(ydoc)?.get(ENVIRONMENT_METADATA_KEY);
  const json = value instanceof Y.AbstractType ? (value.toJSON() as unknown) : value;
  return json && typeof json === 'object' && !Array.isArray(json) ? (json as TandemMetadata) : {};
}

export function queryModeOf(tandem: TandemMetadata): QueryMode {
  return tandem.queries === 'live' ? 'live' : 'reproducible';
}

/** Sets (or, with undefined, removes) one key of metadata.tandem, keeping the others. */
function writeTandemKey(ydoc: Y.Doc, key: string, value: unknown): void {
  const metadata = metadataMap(ydoc);
  if (!metadata) return;
  ydoc.transact(() => {
    const next: TandemMetadata = { ...readTandem(ydoc) };
    if (value === undefined) delete next[key];
    else next[key] = value;
    // An emptied object goes too, so a notebook that declared nothing is saved as it was.
    if (Object.keys(next).length) metadata.set(ENVIRONMENT_METADATA_KEY, next);
    else metadata.delete(ENVIRONMENT_METADATA_KEY);
  }, LOCAL_ORIGIN);
}

/** Declares the notebook's environment; null goes back to the server's default environment. */
export function writeEnvironment(ydoc: Y.Doc, spec: EnvironmentSpec | null): void {
  writeTandemKey(ydoc, 'environment', spec ?? undefined);
}

/** Reproducible is the default, so it is stored as no key at all. */
export function writeQueryMode(ydoc: Y.Doc, mode: QueryMode): void {
  writeTandemKey(ydoc, 'queries', mode === 'live' ? 'live' : undefined);
}
