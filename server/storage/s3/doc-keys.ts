// Where a notebook's history lives in the bucket, and the head object that ties it together:
//
//   docs/{fileId}/head.json                     DocMeta, the lineage, which state, where the log resumes
//   docs/{fileId}/state-{lineage}-{epoch}.bin   a compacted state (written once, never overwritten)
//   docs/{fileId}/log-{lineage}-{seq}.bin       shipped chunks of the local write-ahead log
//
// The head is the one object rewritten in place, always conditionally, so one PUT switches a
// history to a new state. A load reads the head, its state and the chunks from `next` on, by
// number, until one is missing: no bucket listing. No key is also a prefix of another key
// followed by '/', which some S3-compatible servers (a filesystem underneath) cannot store.

import type { DocMeta } from '../doc-storage';

export interface Head {
  meta: DocMeta;
  /** Names this lineage's objects; new on every create. */
  lineage: string;
  /** Which compacted state holds the history up to the log chunks from `next` on. */
  epoch: number;
  next: number;
}

export const docPrefix = (fileId: string): string => `docs/${fileId}/`;
export const headKey = (fileId: string): string => `${docPrefix(fileId)}head.json`;
export const stateKey = (fileId: string, lineage: string, epoch: number): string =>
  `${docPrefix(fileId)}state-${lineage}-${String(epoch).padStart(10, '0')}.bin`;
export const chunkKey = (fileId: string, lineage: string, seq: number): string => `${docPrefix(fileId)}log-${lineage}-${String(seq).padStart(10, '0')}.bin`;

export function parseHead(body: Uint8Array, key: string): Head {
  const head = JSON.parse(Buffer.from(body).toString('utf8')) as Partial<Head>;
  if (!head.meta || typeof head.lineage !== 'string' || typeof head.epoch !== 'number' || typeof head.next !== 'number') {
    throw new Error(`${key} is not a Tandem history head`);
  }
  return head as Head;
}

export const encodeHead = (head: Head): string => JSON.stringify(head);
