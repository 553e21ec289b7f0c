// Postgres result columns as Arrow columns. Every source hands over values in Postgres's text
// form (so the demo database and a real server convert alike); each column kind parses them
// into Arrow's buffers. The kinds are few on purpose: the kernel-side reader of the helper
// package knows exactly these.
//
//   bool -> Bool        int2 -> Int16     int4 -> Int32      int8, oid -> Int64
//   float4 -> Float32   float8, numeric -> Float64 (numeric loses digits past float64)
//   date -> Date32      timestamp -> Timestamp(us)          timestamptz -> Timestamp(us, UTC)
//   bytea -> Binary     everything else (text, json, uuid, time, interval, arrays) -> Utf8

import { Binary, Bool, type Data, type DataType, DateDay, Float32, Float64, Int16, Int32, Int64, makeData, TimestampMicrosecond, Utf8 } from 'apache-arrow';
import type { ColumnKind, SnapshotColumn } from '../../../common/api';

export type ColumnInfo = SnapshotColumn;

const BY_OID: Record<number, [ColumnKind, string]> = {
  16: ['bool', 'boolean'],
  17: ['binary', 'bytea'],
  20: ['int64', 'bigint'],
  21: ['int16', 'smallint'],
  23: ['int32', 'integer'],
  26: ['int64', 'oid'],
  700: ['float32', 'real'],
  701: ['float64', 'double precision'],
  1700: ['float64', 'numeric'],
  1082: ['date32', 'date'],
  1114: ['timestamp', 'timestamp'],
  1184: ['timestamptz', 'timestamptz'],
  25: ['utf8', 'text'],
  1043: ['utf8', 'varchar'],
  1042: ['utf8', 'char'],
  19: ['utf8', 'name'],
  114: ['utf8', 'json'],
  3802: ['utf8', 'jsonb'],
  2950: ['utf8', 'uuid'],
  1083: ['utf8', 'time'],
  1266: ['utf8', 'timetz'],
  1186: ['utf8', 'interval'],
};

export function columnFor(name: string, oid: number): ColumnInfo {
  const [kind, pgType] = BY_OID[oid] ?? ['utf8', `oid ${oid}`];
  return { name, kind, pgTypeOid: oid, pgType };
}

export function arrowType(kind: ColumnKind): DataType {
  switch (kind) {
    case 'bool':
      return new Bool();
    case 'int16':
      return new Int16();
    case 'int32':
      return new Int32();
    case 'int64':
      return new Int64();
    case 'float32':
      return new Float32();
    case 'float64':
      return new Float64();
    case 'date32':
      return new DateDay();
    case 'timestamp':
      return new TimestampMicrosecond();
    case 'timestamptz':
      return new TimestampMicrosecond('UTC');
    case 'binary':
      return new Binary();
    case 'utf8':
      return new Utf8();
  }
}

/** Thrown when a value cannot be read as its column's type (not expected from Postgres). */
export class ValueError extends Error {
  override readonly name = 'ValueError';
}

const DAY_MS = 86_400_000;

function parseFloatText(text: string): number {
  if (text === 'NaN') return Number.NaN;
  if (text === 'Infinity') return Number.POSITIVE_INFINITY;
  if (text === '-Infinity') return Number.NEGATIVE_INFINITY;
  const value = Number(text);
  if (Number.isNaN(value)) throw new ValueError(`"${text}" is not a number`);
  return value;
}

const DATE = /^(\d{4,})-(\d\d)-(\d\d)( BC)?$/;
const TIMESTAMP = /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?( BC)?$/;

function year(digits: string, bc: string | undefined): number {
  // 1 BC is year 0 in the proleptic Gregorian calendar that Date.UTC uses.
  return bc ? 1 - Number(digits) : Number(digits);
}

/** Days since 1970-01-01; null for ±infinity, which Arrow cannot hold. */
function parseDate(text: string): number | null {
  if (text === 'infinity' || text === '-infinity') return null;
  const m = DATE.exec(text);
  if (!m) throw new ValueError(`"${text}" is not a date`);
  const d = new Date(0);
  d.setUTCFullYear(year(m[1], m[4]), Number(m[2]) - 1, Number(m[3]));
  return Math.round(d.getTime() / DAY_MS);
}

/** Microseconds since the epoch, UTC; null for ±infinity. */
function parseTimestamp(text: string): bigint | null {
  if (text === 'infinity' || text === '-infinity') return null;
  const m = TIMESTAMP.exec(text);
  if (!m) throw new ValueError(`"${text}" is not a timestamp`);
  const d = new Date(0);
  d.setUTCFullYear(year(m[1], m[12]), Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), 0);
  let micros = BigInt(d.getTime()) * 1000n + BigInt((m[7] ?? '').padEnd(6, '0') || '0');
  if (m[8]) {
    const offsetSeconds = Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0);
    micros -= BigInt((m[8] === '-' ? -1 : 1) * offsetSeconds) * 1_000_000n;
  }
  return micros;
}

function parseBytea(text: string): Uint8Array {
  // Postgres's default bytea_output is hex: \x0102...
  if (text.startsWith('\\x')) return Buffer.from(text.slice(2), 'hex');
  return Buffer.from(text, 'latin1');
}

/** Accumulates one column of one record batch from Postgres text values. */
export class ColumnBuilder {
  readonly type: DataType;
  private length = 0;
  private nullCount = 0;
  private validity: Uint8Array;
  private values: Int16Array | Int32Array | BigInt64Array | Float32Array | Float64Array | Uint8Array;
  private offsets: Int32Array | undefined;
  private bytes: Uint8Array | undefined;
  private byteLength = 0;

  constructor(
    readonly column: ColumnInfo,
    private readonly capacity: number,
  ) {
    this.type = arrowType(column.kind);
    this.validity = new Uint8Array(Math.ceil(capacity / 8));
    switch (column.kind) {
      case 'bool':
        this.values = new Uint8Array(Math.ceil(capacity / 8));
        break;
      case 'int16':
        this.values = new Int16Array(capacity);
        break;
      case 'int32':
      case 'date32':
        this.values = new Int32Array(capacity);
        break;
      case 'int64':
      case 'timestamp':
      case 'timestamptz':
        this.values = new BigInt64Array(capacity);
        break;
      case 'float32':
        this.values = new Float32Array(capacity);
        break;
      case 'float64':
        this.values = new Float64Array(capacity);
        break;
      case 'binary':
      case 'utf8':
        this.values = new Uint8Array(0);
        this.offsets = new Int32Array(capacity + 1);
        this.bytes = new Uint8Array(Math.max(1024, capacity * 16));
        break;
    }
  }

  append(text: string | null): void {
    const i = this.length++;
    if (i >= this.capacity) throw new RangeError('column batch is full');
    const value = text === null ? null : this.parse(text);
    if (value === null) {
      this.nullCount++;
      if (this.offsets) this.offsets[i + 1] = this.byteLength;
      return;
    }
    this.validity[i >> 3] |= 1 << (i & 7);
    switch (this.column.kind) {
      case 'bool':
        if (value === true) (this.values as Uint8Array)[i >> 3] |= 1 << (i & 7);
        return;
      case 'binary':
      case 'utf8':
        this.appendBytes(value as Uint8Array);
        this.offsets![i + 1] = this.byteLength;
        return;
      default:
        (this.values as unknown as Record<number, unknown>)[i] = value;
    }
  }

  /** Approximate bytes held, to size batches by memory as well as rows. */
  get size(): number {
    return this.byteLength + this.values.byteLength;
  }

  finish(): Data {
    const length = this.length;
    const nullBitmap = this.nullCount ? this.validity.subarray(0, Math.ceil(length / 8)) : undefined;
    const base = { type: this.type, length, nullCount: this.nullCount, nullBitmap } as const;
    if (this.offsets) {
      return makeData({ ...base, type: this.type as Utf8, valueOffsets: this.offsets.subarray(0, length + 1), data: this.bytes!.subarray(0, this.byteLength) });
    }
    if (this.column.kind === 'bool')
      return makeData({ ...base, type: this.type as Bool, data: (this.values as Uint8Array).subarray(0, Math.ceil(length / 8)) });
    return makeData({ ...base, type: this.type as Int32, data: this.values.subarray(0, length) as Int32Array });
  }

  private parse(text: string): boolean | number | bigint | Uint8Array | null {
    switch (this.column.kind) {
      case 'bool':
        return text === 't' || text === 'true';
      case 'int16':
      case 'int32': {
        const n = Number(text);
        if (!Number.isInteger(n)) throw new ValueError(`"${text}" is not an integer`);
        return n;
      }
      case 'int64':
        return BigInt(text);
      case 'float32':
      case 'float64':
        return parseFloatText(text);
      case 'date32':
        return parseDate(text);
      case 'timestamp':
      case 'timestamptz':
        return parseTimestamp(text);
      case 'binary':
        return parseBytea(text);
      case 'utf8':
        return Buffer.from(text, 'utf8');
    }
  }

  private appendBytes(value: Uint8Array): void {
    const needed = this.byteLength + value.length;
    if (needed > this.bytes!.length) {
      const grown = new Uint8Array(Math.max(needed, this.bytes!.length * 2));
      grown.set(this.bytes!.subarray(0, this.byteLength));
      this.bytes = grown;
    }
    this.bytes!.set(value, this.byteLength);
    this.byteLength = needed;
  }
}
