// Streams a query's rows into an Arrow IPC stream file, one record batch at a time, hashing it
// as it goes. Memory stays bounded by one batch whatever the result's size: each batch is
// encoded and written to disk (awaited) before the next one is built.

import { createHash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import { Field, makeData, RecordBatch, RecordBatchStreamWriter, Schema, Struct } from 'apache-arrow';
import { AsyncByteQueue } from 'apache-arrow/io/stream';
import { ColumnBuilder, type ColumnInfo } from './pg-columns';

/** A batch is cut at this many rows, or sooner once its buffers pass BATCH_BYTES. */
const BATCH_ROWS = 16_384;
const BATCH_BYTES = 8 * 1024 * 1024;

/** Collects what the Arrow writer encodes, so it can be written out synchronously per batch. */
class CollectingSink extends AsyncByteQueue {
  chunks: Uint8Array[] = [];
  override write(value: Uint8Array): void {
    if (value.byteLength > 0) this.chunks.push(value);
  }
}

export interface WrittenIpc {
  rows: number;
  bytes: number;
  /** sha256 of the file's bytes, hex. */
  sha256: string;
}

export class IpcFileWriter {
  private readonly hash = createHash('sha256');
  private readonly sink = new CollectingSink();
  private readonly writer = new RecordBatchStreamWriter();
  private schema: Schema | undefined;
  private columns: ColumnInfo[] = [];
  private builders: ColumnBuilder[] = [];
  private batchRows = 0;
  private rows = 0;
  private bytes = 0;

  private constructor(private readonly file: FileHandle) {
    this.writer.reset(this.sink);
  }

  static async create(path: string): Promise<IpcFileWriter> {
    return new IpcFileWriter(await open(path, 'wx', 0o600));
  }

  get rowCount(): number {
    return this.rows;
  }

  get byteCount(): number {
    return this.bytes;
  }

  /** Sets the result's columns; must come before the first row. */
  setColumns(columns: ColumnInfo[]): void {
    this.columns = columns;
    const fields = columns.map((c) => new Field(c.name, this.newBuilder(c).type, true));
    this.schema = new Schema(fields);
    this.builders = columns.map((c) => this.newBuilder(c));
  }

  /** Adds rows (Postgres text values); writes a batch to disk whenever one is full. */
  async append(rows: readonly (readonly (string | null)[])[]): Promise<void> {
    for (const row of rows) {
      for (let c = 0; c < this.builders.length; c++) this.builders[c].append(row[c] ?? null);
      this.batchRows++;
      this.rows++;
      if (this.batchRows >= BATCH_ROWS || (this.batchRows % 256 === 0 && this.pendingBytes() > BATCH_BYTES)) await this.flushBatch();
    }
  }

  /** Writes the last batch and the end-of-stream marker; closes the file. */
  async finish(): Promise<WrittenIpc> {
    if (!this.schema) this.setColumns([]);
    if (this.batchRows > 0 || this.rows === 0) await this.flushBatch();
    this.writer.close();
    await this.drain();
    await this.file.sync();
    await this.file.close();
    return { rows: this.rows, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  /** Gives up: closes the file (the caller removes it). */
  async abort(): Promise<void> {
    await this.file.close().catch(() => undefined);
  }

  private newBuilder(column: ColumnInfo): ColumnBuilder {
    return new ColumnBuilder(column, BATCH_ROWS);
  }

  private pendingBytes(): number {
    let total = 0;
    for (const builder of this.builders) total += builder.size;
    return total;
  }

  private async flushBatch(): Promise<void> {
    const schema = this.schema!;
    const children = this.builders.map((b) => b.finish());
    const data = makeData({ type: new Struct(schema.fields), length: this.batchRows, nullCount: 0, children });
    this.writer.write(new RecordBatch(schema, data));
    this.builders = this.columns.map((c) => this.newBuilder(c));
    this.batchRows = 0;
    await this.drain();
  }

  private async drain(): Promise<void> {
    const chunks = this.sink.chunks;
    this.sink.chunks = [];
    if (!chunks.length) return;
    const joined = Buffer.concat(chunks);
    this.hash.update(joined);
    this.bytes += joined.byteLength;
    await this.file.write(joined);
  }
}
