// The few object operations the S3 storages need, over one bucket and key prefix. Conditional
// writes are the point: a write that names the ETag it last read (or `*` for a new key) fails
// with StaleObjectError instead of overwriting what another writer put there since. Throttling,
// 5xx answers and network errors are retried with backoff by the SDK's standard retry strategy.

import {
  type _Object,
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';

export interface StoredObject {
  body: Uint8Array;
  etag: string;
  metadata: Record<string, string>;
}

/** One key as a listing shows it. */
export interface ListedObject {
  key: string;
  etag: string;
  size: number;
  lastModified: Date;
}

export interface PutCondition {
  /** Write only if the object still has this ETag. */
  ifMatch?: string;
  /** Write only if no object has this key. */
  ifAbsent?: boolean;
}

/** Another writer changed the object since this one last read it: reload before writing again. */
export class StaleObjectError extends Error {
  constructor(readonly key: string) {
    super(`${key} was changed in the bucket by another writer; reload it before writing again`);
    this.name = 'StaleObjectError';
  }
}

function statusOf(error: unknown): number | undefined {
  return error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
}

export class Bucket {
  constructor(
    readonly client: S3Client,
    readonly name: string,
    /** Either empty or ending in '/'. */
    readonly prefix: string,
  ) {}

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.name, Key: this.prefix + key }));
      const body = answer.Body ? await answer.Body.transformToByteArray() : new Uint8Array();
      return { body, etag: answer.ETag ?? '', metadata: answer.Metadata ?? {} };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** The object's ETag, or undefined when there is none: one cheap HEAD, no body. */
  async etagOf(key: string): Promise<string | undefined> {
    try {
      return (await this.client.send(new HeadObjectCommand({ Bucket: this.name, Key: this.prefix + key }))).ETag ?? '';
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Copies an object inside the bucket (server side) and answers the copy's ETag. */
  async copy(from: string, to: string): Promise<string> {
    const answer = await this.client.send(
      new CopyObjectCommand({ Bucket: this.name, Key: this.prefix + to, CopySource: encodeURIComponent(`${this.name}/${this.prefix}${from}`) }),
    );
    return answer.CopyObjectResult?.ETag ?? '';
  }

  /** Writes one object and answers its new ETag. */
  async put(key: string, body: Uint8Array | string, condition: PutCondition = {}, metadata?: Record<string, string>): Promise<string> {
    try {
      const answer = await this.client.send(
        new PutObjectCommand({
          Bucket: this.name,
          Key: this.prefix + key,
          Body: body,
          // Given, not left to the SDK: an empty body (a folder marker) would otherwise go without one.
          ContentLength: typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength,
          IfMatch: condition.ifMatch,
          IfNoneMatch: condition.ifAbsent ? '*' : undefined,
          Metadata: metadata,
        }),
      );
      return answer.ETag ?? '';
    } catch (error) {
      // 412: the condition failed. 409: a racing conditional write to the same key won.
      const status = statusOf(error);
      if (!(condition.ifMatch || condition.ifAbsent) || (status !== 412 && status !== 409)) throw error;
      // A retried PUT whose first attempt landed (its answer lost) fails its own condition:
      // the object then holds exactly these bytes, and the write did happen.
      const now = await this.get(key);
      if (now && Buffer.from(now.body).equals(typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength))) {
        return now.etag;
      }
      throw new StaleObjectError(key);
    }
  }

  /** Deletes these keys; keys already gone are fine. */
  async delete(keys: readonly string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += 1000) {
      const batch = keys.slice(start, start + 1000);
      const answer = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.name, Delete: { Objects: batch.map((key) => ({ Key: this.prefix + key })), Quiet: true } }),
      );
      const failed = (answer.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length) throw new Error(`could not delete ${failed[0].Key}: ${failed[0].Code ?? 'error'} ${failed[0].Message ?? ''}`);
    }
  }

  /**
   * Deletes one object only while it still has this ETag (If-Match, one DELETE): a copy another
   * writer changed since is kept, and StaleObjectError says so. A key already gone is fine.
   */
  async deleteIfMatch(key: string, etag: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.name, Key: this.prefix + key, IfMatch: etag }));
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) return;
      if (status === 412) throw new StaleObjectError(key);
      throw error;
    }
  }

  /** Every key under a prefix (relative to the bucket's prefix). Only for rare, non-join paths. */
  async list(under: string): Promise<string[]> {
    return (await this.listObjects(under)).map((object) => object.key);
  }

  /** One level under a prefix, as a folder listing shows it: the objects, and the names of the folders below. */
  /** A listing page's objects, keyed relative to the prefix. */
  private listed(contents: _Object[] | undefined): ListedObject[] {
    return (contents ?? []).flatMap((object) =>
      object.Key
        ? [{ key: object.Key.slice(this.prefix.length), etag: object.ETag ?? '', size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) }]
        : [],
    );
  }

  async listLevel(under: string): Promise<{ objects: ListedObject[]; folders: string[] }> {
    const objects: ListedObject[] = [];
    const folders: string[] = [];
    const full = this.prefix + under;
    for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.name, Prefix: full, Delimiter: '/' })) {
      objects.push(...this.listed(page.Contents));
      for (const common of page.CommonPrefixes ?? []) if (common.Prefix) folders.push(common.Prefix.slice(full.length, -1));
    }
    return { objects, folders };
  }

  /** Every object under a prefix, with its ETag, size and time. Only for rare, non-join paths. */
  async listObjects(under: string): Promise<ListedObject[]> {
    const objects: ListedObject[] = [];
    for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.name, Prefix: this.prefix + under })) {
      objects.push(...this.listed(page.Contents));
    }
    return objects;
  }
}
