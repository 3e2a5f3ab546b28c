/**
 * PostgreSQL's COPY in its binary format, for the day close's bulk reads and writes: no text to
 * build or parse per value, int8 straight to and from bigint (DataView), rows in 1 MiB chunks.
 * Only the types the close uses: int2, int4, int8, their arrays, and numeric (integers only:
 * amounts too large for int8, read and written as numeric[]).
 */
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { from as copyFrom, to as copyTo } from "pg-copy-streams"

/** A pg client: what knex's `acquireConnection` hands out (for a transaction: its connection). */
export interface PgClient {
  query(stream: unknown): unknown
}

const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1")
const OID = { int4: 23, int8: 20, numeric: 1700 } as const
const CHUNK = 1 << 20

/** Binary COPY rows, written into 1 MiB chunks. */
export class BinaryRows {
  readonly chunks: Buffer[] = []
  private buf = Buffer.allocUnsafe(CHUNK)
  private view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length)
  private at = 0
  rows = 0

  constructor() {
    SIGNATURE.copy(this.buf, 0)
    this.view.setInt32(11, 0)
    this.view.setInt32(15, 0)
    this.at = 19
  }

  private room(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return
    this.chunks.push(this.buf.subarray(0, this.at))
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK, bytes))
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length)
    this.at = 0
  }

  row(fields: number): void {
    this.room(2)
    this.view.setInt16(this.at, fields)
    this.at += 2
    this.rows++
  }

  null(): void {
    this.room(4)
    this.view.setInt32(this.at, -1)
    this.at += 4
  }

  int2(v: number): void {
    this.room(6)
    this.view.setInt32(this.at, 2)
    this.view.setInt16(this.at + 4, v)
    this.at += 6
  }

  int4(v: number): void {
    this.room(8)
    this.view.setInt32(this.at, 4)
    this.view.setInt32(this.at + 4, v)
    this.at += 8
  }

  int8(v: bigint): void {
    this.room(12)
    this.view.setInt32(this.at, 8)
    this.view.setBigInt64(this.at + 4, v)
    this.at += 12
  }

  /**
   * A bytea field of `length` bytes that the caller fills through {@link view} from the returned
   * offset (before the next field).
   */
  bytes(length: number): number {
    this.room(4 + length)
    this.view.setInt32(this.at, length)
    const at = this.at + 4
    this.at += 4 + length
    return at
  }

  /** A bytea field copied from `src[start … start + length)`; returns its offset (see {@link bytes}). */
  bytesFrom(src: Buffer, start: number, length: number): number {
    const at = this.bytes(length)
    src.copy(this.buf, at, start, start + length)
    return at
  }

  /** The buffer {@link bytes} hands out offsets into. */
  get data(): DataView {
    return this.view
  }

  /** An int8 given as a JS number (a safe integer). */
  int8n(v: number): void {
    this.room(12)
    this.view.setInt32(this.at, 8)
    this.view.setInt32(this.at + 4, Math.floor(v / 4294967296))
    this.view.setUint32(this.at + 8, v >>> 0)
    this.at += 12
  }

  /** int8[] given as JS numbers (safe integers). */
  int8nArray(values: ArrayLike<number>, from = 0, count = values.length): void {
    this.arrayHeader(count, OID.int8, 12 * count)
    for (let i = 0; i < count; i++) {
      const v = values[from + i]
      this.view.setInt32(this.at, 8)
      this.view.setInt32(this.at + 4, Math.floor(v / 4294967296))
      this.view.setUint32(this.at + 8, v >>> 0)
      this.at += 12
    }
  }

  int4Array(values: ArrayLike<number>, from = 0, count = values.length): void {
    this.arrayHeader(count, OID.int4, 4 * 2 * count)
    for (let i = 0; i < count; i++) {
      this.view.setInt32(this.at, 4)
      this.view.setInt32(this.at + 4, values[from + i])
      this.at += 8
    }
  }

  int8Array(values: readonly bigint[]): void {
    this.arrayHeader(values.length, OID.int8, 12 * values.length)
    for (const v of values) {
      this.view.setInt32(this.at, 8)
      this.view.setBigInt64(this.at + 4, v)
      this.at += 12
    }
  }

  /** numeric[] of integers (any size). */
  numericArray(values: readonly bigint[]): void {
    const encoded = values.map(numericBytes)
    this.arrayHeader(values.length, OID.numeric, encoded.reduce((n, e) => n + 4 + e.length, 0))
    for (const e of encoded) {
      this.view.setInt32(this.at, e.length)
      e.copy(this.buf, this.at + 4)
      this.at += 4 + e.length
    }
  }

  private arrayHeader(count: number, oid: number, body: number): void {
    const header = count === 0 ? 12 : 20
    this.room(4 + header + body)
    this.view.setInt32(this.at, header + body)
    this.view.setInt32(this.at + 4, count === 0 ? 0 : 1) // dimensions
    this.view.setInt32(this.at + 8, 0) // no nulls
    this.view.setInt32(this.at + 12, oid)
    if (count > 0) {
      this.view.setInt32(this.at + 16, count)
      this.view.setInt32(this.at + 20, 1) // lower bound
    }
    this.at += 4 + header
  }

  /** The rows and the trailer, as chunks for COPY … FROM STDIN (FORMAT binary). */
  finish(): Buffer[] {
    this.room(2)
    this.view.setInt16(this.at, -1)
    this.at += 2
    this.chunks.push(this.buf.subarray(0, this.at))
    return this.chunks
  }
}

/** An integer as the body of a binary numeric: base-10000 digits, weight, sign, no scale. */
function numericBytes(v: bigint): Buffer {
  const negative = v < 0n
  let x = negative ? -v : v
  const digits: number[] = []
  while (x > 0n) {
    digits.push(Number(x % 10000n))
    x /= 10000n
  }
  let low = 0
  while (low < digits.length && digits[low] === 0) low++
  const n = digits.length - low
  const out = Buffer.alloc(8 + 2 * n)
  out.writeInt16BE(n, 0)
  out.writeInt16BE(digits.length - 1, 2) // weight of the first digit
  out.writeUInt16BE(negative ? 0x4000 : 0, 4)
  out.writeInt16BE(0, 6)
  for (let i = 0; i < n; i++) out.writeInt16BE(digits[digits.length - 1 - i], 8 + 2 * i)
  return out
}

/** Runs `COPY … FROM STDIN` with the given chunks (binary rows or text lines). */
export async function copyIn(client: PgClient, sql: string, chunks: Iterable<Buffer | string>): Promise<void> {
  await pipeline(Readable.from(chunks), client.query(copyFrom(sql)) as NodeJS.WritableStream)
}

/**
 * One row of a binary COPY out: field k is `buf[start[k] … start[k] + length[k])`, length −1 for
 * null. Valid only during the callback.
 */
export interface BinaryRow {
  buf: Buffer
  view: DataView
  fields: number
  start: Int32Array
  length: Int32Array
}

/** Runs `COPY (…) TO STDOUT (FORMAT binary)` and hands every row to `onRow`, as it arrives. */
export async function copyOut(client: PgClient, sql: string, onRow: (row: BinaryRow) => void): Promise<void> {
  const stream = client.query(copyTo(sql)) as AsyncIterable<Buffer>
  let pending: Buffer | null = null
  let headerDone = false
  const row: BinaryRow = { buf: Buffer.alloc(0), view: new DataView(new ArrayBuffer(0)), fields: 0, start: new Int32Array(64), length: new Int32Array(64) }
  for await (const chunk of stream) {
    const buf: Buffer = pending ? Buffer.concat([pending, chunk]) : chunk
    const view = new DataView(buf.buffer, buf.byteOffset, buf.length)
    let at = 0
    if (!headerDone) {
      if (buf.length < 19) {
        pending = buf
        continue
      }
      at = 19 + view.getInt32(15)
      headerDone = true
    }
    row.buf = buf
    row.view = view
    for (;;) {
      if (at + 2 > buf.length) break
      const fields = view.getInt16(at)
      if (fields === -1) {
        at = buf.length
        break
      }
      let p = at + 2
      let complete = true
      for (let k = 0; k < fields; k++) {
        if (p + 4 > buf.length) {
          complete = false
          break
        }
        const len = view.getInt32(p)
        row.start[k] = p + 4
        row.length[k] = len
        p += 4 + (len > 0 ? len : 0)
        if (p > buf.length) {
          complete = false
          break
        }
      }
      if (!complete) break
      row.fields = fields
      onRow(row)
      at = p
    }
    pending = at < buf.length ? buf.subarray(at) : null
  }
}

// ---- field decoders (binary formats of the types the close reads) ----

export function int2At(row: BinaryRow, k: number): number {
  return row.view.getInt16(row.start[k])
}

export function int4At(row: BinaryRow, k: number): number {
  return row.view.getInt32(row.start[k])
}

export function int8At(row: BinaryRow, k: number): bigint {
  return row.view.getBigInt64(row.start[k])
}

/** An int8 at byte `at` as a JS number, or NaN when it is not a safe integer (read it as bigint then). */
export function int8NumberAt(view: DataView, at: number): number {
  const hi = view.getInt32(at)
  return hi >= -0x200000 && hi < 0x200000 ? hi * 4294967296 + view.getUint32(at + 4) : Number.NaN
}

/** Where the elements of a one-dimensional array field start, and how many: [offset of the first length word, count]. */
export function arrayAt(row: BinaryRow, k: number): [number, number] {
  const at = row.start[k]
  return row.view.getInt32(at) === 0 ? [at + 12, 0] : [at + 20, row.view.getInt32(at + 12)]
}

export function isNull(row: BinaryRow, k: number): boolean {
  return row.length[k] < 0
}

/** Elements of a one-dimensional array field without nulls, each handed to `each(offset, length)`. */
function arrayElements(row: BinaryRow, k: number, each: (at: number, len: number) => void): number {
  const v = row.view
  let at = row.start[k]
  const dims = v.getInt32(at)
  if (dims === 0) return 0
  const count = v.getInt32(at + 12)
  at += 20
  for (let i = 0; i < count; i++) {
    const len = v.getInt32(at)
    each(at + 4, len)
    at += 4 + len
  }
  return count
}

export function int4ArrayAt(row: BinaryRow, k: number, out: number[]): void {
  arrayElements(row, k, (at) => out.push(row.view.getInt32(at)))
}

export function int8ArrayAt(row: BinaryRow, k: number, out: bigint[]): void {
  arrayElements(row, k, (at) => out.push(row.view.getBigInt64(at)))
}

/** numeric[] of integers. */
export function numericArrayAt(row: BinaryRow, k: number, out: bigint[]): void {
  arrayElements(row, k, (at) => out.push(numericAt(row.view, at)))
}

function numericAt(v: DataView, at: number): bigint {
  const n = v.getInt16(at)
  const weight = v.getInt16(at + 2)
  const sign = v.getUint16(at + 4)
  let x = 0n
  for (let i = 0; i < n; i++) x = x * 10000n + BigInt(v.getInt16(at + 8 + 2 * i))
  for (let i = n; i <= weight; i++) x *= 10000n
  return sign === 0x4000 ? -x : x
}
