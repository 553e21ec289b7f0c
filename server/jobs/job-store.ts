// Where ended jobs are kept: one immutable run record each, with its executed notebook beside
// it as a file of its own, so that the record's path can be handed to people and tools.

import type { JobRecord } from '../../common/api';
import type { Publication } from './report';

export type StoredRecord = Omit<JobRecord, 'executed'>;

export interface JobStore {
  /** Stores an ended job's record once; a record is never replaced. */
  save(record: JobRecord): Promise<void>;
  get(id: string): Promise<JobRecord | undefined>;
  /** One notebook's stored records, newest first, at most `limit`, without their executed notebooks. */
  list(fileId: string, limit: number): Promise<StoredRecord[]>;
  /** Publishes a stored record as a report (again: the newer publication replaces the older). */
  publish(id: string, publication: Publication): Promise<void>;
  publication(id: string): Promise<Publication | undefined>;
  /** Where the executed notebook of a stored record is, as a path people can open. */
  executedPath(id: string): string;
}
