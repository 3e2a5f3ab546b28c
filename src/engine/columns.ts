/**
 * Column storage for a million members: typed arrays in fixed-size chunks, so a table never holds
 * two copies of itself while it grows. The in-memory store keeps its tables in them, and the
 * PostgreSQL store the state a day close reads.
 */

export const INT64_MAX = (1n << 63n) - 1n
export const INT64_MIN = -(1n << 63n)

const CHUNK = 1 << 16

/**
 * A growable bigint column in fixed-size chunks: growing never copies, so a million-member
 * table never holds two copies of itself. Values beyond int64 (possible at scale 18) live in
 * a side map; the column holds INT64_MIN for them.
 */
export class BigColumn {
  private readonly chunks: BigInt64Array[] = []
  private readonly wide = new Map<number, bigint>()

  get(i: number): bigint {
    const chunk = this.chunks[i >>> 16]
    const v = chunk === undefined ? 0n : chunk[i & 0xffff]
    return v === INT64_MIN ? this.wide.get(i)! : v
  }

  set(i: number, v: bigint): void {
    const c = i >>> 16
    while (this.chunks.length <= c) this.chunks.push(new BigInt64Array(CHUNK))
    if (v > INT64_MAX || v <= INT64_MIN) {
      this.chunks[c][i & 0xffff] = INT64_MIN
      this.wide.set(i, v)
    } else {
      this.chunks[c][i & 0xffff] = v
      if (this.wide.size > 0) this.wide.delete(i)
    }
  }
}


export function growInt32(a: Int32Array, n: number, fill = 0): Int32Array {
  if (n <= a.length) return a
  const next = new Int32Array(Math.max(n, a.length * 2)).fill(fill)
  next.set(a)
  return next
}

export function growInt8(a: Int8Array, n: number): Int8Array {
  if (n <= a.length) return a
  const next = new Int8Array(Math.max(n, a.length * 2))
  next.set(a)
  return next
}
