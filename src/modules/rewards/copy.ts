/**
 * PostgreSQL's COPY in its binary format, for the day close's bulk reads and writes: no text to
 * build or parse per value, int8 straight to and from bigint (DataView), rows in 1 MiB chunks.
 * Only the types the close uses: int2, int4, int8, their arrays, and numeric (integers only:
 * amounts too large for int8, read and written as numeric[]).
 */
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { from as copyFrom } from "pg-copy-streams"

/** A pg client: what knex's `acquireConnection` hands out (for a transaction: its connection). */
export interface PgClient {
  query(stream: unknown): unknown
}

/** The pg client under `db` (a transaction's own connection), for COPY; `release` when done. */
export async function clientOf(db: { client: unknown }): Promise<{ client: PgClient; release: () => void }> {
  const knexClient = db.client as { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): void }
  const client = (await knexClient.acquireConnection()) as PgClient
  return { client, release: () => knexClient.releaseConnection(client) }
}

const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1")
const OID = { int4: 23, int8: 20, numeric: 1700 } as const
const CHUNK = 1 << 20

/**
 * Binary COPY rows, written into 1 MiB chunks. `pool`: chunks to write into before allocating
 * new ones (a caller that sends one set of rows at a time reuses them); new ones join it.
 */
export class BinaryRows {
  readonly chunks: Buffer[] = []
  private buf: Buffer
  private view: DataView
  private at = 0
  private used = 0
  rows = 0

  constructor(private readonly pool: Buffer[] = []) {
    this.buf = this.next(CHUNK)
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length)
    SIGNATURE.copy(this.buf, 0)
    this.view.setInt32(11, 0)
    this.view.setInt32(15, 0)
    this.at = 19
  }

  private next(bytes: number): Buffer {
    while (this.used < this.pool.length) {
      const b = this.pool[this.used++]
      if (b.length >= bytes) return b
    }
    const b = Buffer.allocUnsafe(Math.max(CHUNK, bytes))
    this.pool.push(b)
    this.used = this.pool.length
    return b
  }

  private room(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return
    this.chunks.push(this.buf.subarray(0, this.at))
    this.buf = this.next(bytes)
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
 * One row of a binary COPY out: field k is bytes `start[k] … start[k] + length[k]` of `view`
 * (a DataView over the whole ArrayBuffer the row arrived in; length −1 for null). Valid only
 * during the callback, except that the ArrayBuffer itself is never reused: a reader may keep it
 * (and `view`) to read the row's bytes later.
 */
export interface BinaryRow {
  view: DataView
  fields: number
  start: Int32Array
  length: Int32Array
}

const MSG = { CopyData: 0x64, CopyOutResponse: 0x48 } as const

/**
 * Runs `COPY (…) TO STDOUT (FORMAT binary)` and hands every row to `onRow` as it arrives. Reads
 * the protocol from the connection's socket itself (as pg-copy-streams does) but parses each row
 * where it lies in the chunk the socket delivered: no row is copied, except the few that arrive
 * split over two chunks.
 */
export function copyOut(client: PgClient, sql: string, onRow: (row: BinaryRow) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    client.query(new CopyOutRows(sql, onRow, resolve, reject))
  })
}

/** A pg "submittable": pg hands it the connection, it takes the socket until the copy ends. */
class CopyOutRows {
  private connection: any = null
  private pgOnData: ((chunk: Buffer) => void) | null = null
  private readonly onData = (chunk: Buffer) => this.take(chunk)
  /** The start of a message that the last chunk cut off. */
  private cut: Buffer | null = null
  /** The start of a row that the last CopyData message cut off (the row stream's bytes). */
  private carry: Buffer | null = null
  private headerLeft = -1
  private error: Error | null = null
  private readonly row: BinaryRow = { view: new DataView(new ArrayBuffer(0)), fields: 0, start: new Int32Array(64), length: new Int32Array(64) }
  private lastBuffer: ArrayBufferLike | null = null

  constructor(
    readonly text: string,
    private readonly onRow: (row: BinaryRow) => void,
    private readonly resolve: () => void,
    private readonly reject: (e: Error) => void
  ) {}

  submit(connection: any): void {
    this.connection = connection
    const stream = connection.stream
    const listeners = stream.listeners("data")
    if (listeners.length !== 1) throw new Error("internal: unexpected data listeners on the PostgreSQL connection")
    this.pgOnData = listeners[0]
    stream.removeListener("data", this.pgOnData)
    stream.on("data", this.onData)
    connection.query(this.text)
  }

  /** pg's timeout mechanism may set this; nothing to do. */
  callback(): void {}

  /** Socket bytes while the copy runs: messages, CopyData ones parsed in place. */
  private take(chunk: Buffer): void {
    let buf = chunk
    if (this.cut) {
      // complete the cut message with just what it needs from this chunk
      const have = this.cut.length
      const need = have >= 5 ? this.cut.readUInt32BE(1) + 1 - have : 5 - have
      if (need > chunk.length) {
        this.cut = Buffer.concat([this.cut, chunk])
        return
      }
      const whole = Buffer.concat([this.cut, chunk.subarray(0, need)])
      this.cut = null
      if (have < 5) {
        // only its header was cut: now that the length is known, take again
        return this.take(Buffer.concat([whole, chunk.subarray(need)]))
      }
      if (!this.message(whole, 0, whole.length)) return this.detach(chunk.subarray(need))
      buf = chunk.subarray(need)
    }
    let at = 0
    while (at < buf.length) {
      if (buf.length - at < 5) break
      const end = at + 1 + buf.readUInt32BE(at + 1)
      if (end > buf.length) break
      if (!this.message(buf, at, end)) return this.detach(buf.subarray(at))
      at = end
    }
    this.cut = at < buf.length ? Buffer.from(buf.subarray(at)) : null
  }

  /** One message at buf[at … end): false when it ends the copy (pg reads it and what follows). */
  private message(buf: Buffer, at: number, end: number): boolean {
    const code = buf[at]
    if (code === MSG.CopyData) {
      this.rows(buf, at + 5, end)
      return true
    }
    // CopyOutResponse opens the copy; notices may come in between; anything else ends it
    return code === MSG.CopyOutResponse || code === 0x4e || code === 0x53 || code === 0x41
  }

  /** Row bytes buf[from … to): whole rows go to onRow where they lie. */
  private rows(buf: Buffer, from: number, to: number): void {
    if (this.error) return
    if (this.carry) {
      buf = Buffer.concat([this.carry, buf.subarray(from, to)])
      from = 0
      to = buf.length
      this.carry = null
    }
    const ab = buf.buffer
    const base = buf.byteOffset
    if (ab !== this.lastBuffer) {
      this.row.view = new DataView(ab)
      this.lastBuffer = ab
    }
    const v = this.row.view
    let at = base + from
    const stop = base + to
    if (this.headerLeft < 0) {
      // signature, flags, header extension
      if (stop - at < 19 || stop - at < 19 + v.getInt32(at + 15)) {
        this.carry = Buffer.from(buf.subarray(from, to))
        return
      }
      at += 19 + v.getInt32(at + 15)
      this.headerLeft = 0
    }
    const row = this.row
    while (at + 2 <= stop) {
      const fields = v.getInt16(at)
      if (fields === -1) return
      let p = at + 2
      let complete = true
      for (let k = 0; k < fields; k++) {
        if (p + 4 > stop) {
          complete = false
          break
        }
        const len = v.getInt32(p)
        row.start[k] = p + 4
        row.length[k] = len
        p += 4 + (len > 0 ? len : 0)
        if (p > stop) {
          complete = false
          break
        }
      }
      if (!complete) break
      row.fields = fields
      try {
        this.onRow(row)
      } catch (e) {
        this.error = e as Error
        return
      }
      at = p
    }
    if (at < stop) this.carry = Buffer.from(buf.subarray(at - base, to))
  }

  /** The copy is over: the socket goes back to pg with the bytes it has not read. */
  private detach(rest: Buffer): void {
    const stream = this.connection.stream
    stream.removeListener("data", this.onData)
    stream.on("data", this.pgOnData!)
    if (rest.length > 0) this.pgOnData!(rest)
  }

  handleCommandComplete(): void {}

  handleReadyForQuery(): void {
    if (this.error) this.reject(this.error)
    else this.resolve()
  }

  handleError(e: Error): void {
    if (this.connection && this.pgOnData && this.connection.stream.listeners("data").includes(this.onData)) {
      this.connection.stream.removeListener("data", this.onData)
      this.connection.stream.on("data", this.pgOnData)
    }
    this.reject(e)
  }
}

// ---- field decoders (binary formats of the types the close reads) ----

/** Field k of a row as text (a text column's value in binary COPY is its UTF-8 bytes). */
export function textAt(row: BinaryRow, k: number): string {
  return Buffer.from(row.view.buffer, row.start[k], row.length[k]).toString("utf8")
}

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
