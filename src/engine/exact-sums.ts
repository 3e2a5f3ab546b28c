/**
 * Exact integer sums for the day close's hot loops (RULES.md §1.6: amounts are exact integers of
 * atoms; nothing here rounds).
 */

/** Integers beyond which an ExactSums entry leaves its number part (every partial sum stays exact). */
const SAFE = 2 ** 53
const SAFE_BIG = 2n ** 53n

/**
 * Sums of bigints, exact, without a bigint per addition: an entry is a number while it stays
 * below 2^53 in magnitude (so every partial sum is an exact integer) and takes a bigint part only
 * when an addition would leave that range. The day close's member pass adds to sums millions of
 * times (its totals, the release pass's carries, which often wait for a whole generation of the
 * forest): bigint sums would each be replaced at every addition, a stream of new objects the
 * garbage collector has to move out of its young generation.
 */
export class ExactSums {
  private readonly small: number[]
  private big: bigint[] | null = null

  constructor(n: number) {
    this.small = new Array<number>(n).fill(0)
  }

  get length(): number {
    return this.small.length
  }

  isZero(i: number): boolean {
    // a bigint part and a number part may cancel out
    return this.big === null ? this.small[i] === 0 : this.get(i) === 0n
  }

  get(i: number): bigint {
    const small = this.small[i] === 0 ? 0n : BigInt(this.small[i])
    return this.big === null ? small : this.big[i] + small
  }

  add(i: number, x: bigint): void {
    if (x < SAFE_BIG && x > -SAFE_BIG) {
      const sum = this.small[i] + Number(x)
      // both terms are below 2^53: a true sum of 2^53 or more rounds to 2^53 or more, never below
      if (sum < SAFE && sum > -SAFE) {
        this.small[i] = sum
        return
      }
    }
    this.big ??= new Array<bigint>(this.small.length).fill(0n)
    this.big[i] += BigInt(this.small[i]) + x
    this.small[i] = 0
  }

  /**
   * Adds entry j of `from` to entry i: the release pass hands its carries up a generation this
   * way, without a bigint while both stay numbers.
   */
  addFrom(i: number, from: ExactSums, j: number): void {
    if (from.big === null || from.big[j] === 0n) {
      const sum = this.small[i] + from.small[j]
      if (sum < SAFE && sum > -SAFE) {
        this.small[i] = sum
        return
      }
    }
    this.add(i, from.get(j))
  }

  /** A new entry holding x. */
  push(x: bigint): void {
    this.small.push(0)
    this.big?.push(0n)
    this.add(this.small.length - 1, x)
  }
}
