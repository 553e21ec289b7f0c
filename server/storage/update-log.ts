// An append-only file of Yjs updates. Each record is framed with its length and a CRC32,
// so a record torn by a crash (kill -9 mid-write) is recognised and cut off on the next
// open instead of corrupting the document. Appends are synchronous: when append() returns,
// the bytes are in the operating system's hands and survive the process being killed.

import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';

const HEADER_BYTES = 8;

export interface LogContents {
  updates: Uint8Array[];
  /** Bytes of intact records; anything after them was a torn write. */
  validBytes: number;
  tornBytes: number;
}

export function readLog(path: string): LogContents {
  if (!existsSync(path)) return { updates: [], validBytes: 0, tornBytes: 0 };
  return parseLog(readFileSync(path));
}

/** Reads framed records from bytes: a log file's, or a copy of one shipped elsewhere. */
export function parseLog(bytes: Uint8Array): LogContents {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const updates: Uint8Array[] = [];
  let offset = 0;
  while (offset + HEADER_BYTES <= data.length) {
    const length = data.readUInt32LE(offset);
    const checksum = data.readUInt32LE(offset + 4);
    const end = offset + HEADER_BYTES + length;
    if (end > data.length) break;
    const payload = data.subarray(offset + HEADER_BYTES, end);
    if (crc32(payload) !== checksum) break;
    updates.push(new Uint8Array(payload));
    offset = end;
  }
  return { updates, validBytes: offset, tornBytes: data.length - offset };
}

export function frameRecord(update: Uint8Array): Buffer {
  const record = Buffer.allocUnsafe(HEADER_BYTES + update.length);
  record.writeUInt32LE(update.length, 0);
  record.writeUInt32LE(crc32(update), 4);
  record.set(update, HEADER_BYTES);
  return record;
}

export class UpdateLog {
  private fd: number;
  private bytes: number;
  private records = 0;

  /** Opens for appending, first cutting off a torn tail left by a crash. */
  constructor(
    readonly path: string,
    validBytes: number,
  ) {
    this.fd = openSync(path, existsSync(path) ? 'r+' : 'w+', 0o600);
    ftruncateSync(this.fd, validBytes);
    this.bytes = validBytes;
  }

  append(update: Uint8Array): void {
    const record = frameRecord(update);
    let written = 0;
    while (written < record.length) {
      written += writeSync(this.fd, record, written, record.length - written, this.bytes + written);
    }
    this.bytes += record.length;
    this.records++;
  }

  get size(): number {
    return this.bytes;
  }

  get appended(): number {
    return this.records;
  }

  close(): void {
    closeSync(this.fd);
  }
}
