/**
 * ExactSums (src/engine/exact-sums.ts): the day close's totals and the release pass's carries keep
 * their sums as numbers while they stay below 2^53 and move to a bigint part beyond. Every entry
 * must always equal the bigint sum of what was added to it, across that boundary both ways.
 */
import fc from "fast-check"
import { ExactSums } from "../../src/engine/exact-sums"

const TWO53 = 2n ** 53n

/** Values around every boundary the sums cross: small, just below and above ±2^53, beyond int8. */
const valueArb: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: -1000n, max: 1000n }),
  fc.bigInt({ min: TWO53 - 50n, max: TWO53 + 50n }),
  fc.bigInt({ min: -TWO53 - 50n, max: -TWO53 + 50n }),
  fc.bigInt({ min: TWO53 / 2n - 50n, max: TWO53 / 2n + 50n }),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n })
)

type Op = { kind: "add"; at: number; value: bigint } | { kind: "push"; value: bigint }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("add" as const), at: fc.nat(), value: valueArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("push" as const), value: valueArb }) }
)

describe("ExactSums", () => {
  it("every entry equals the exact sum of what was added to it, across ±2^53", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(opArb, { maxLength: 80 }), (n, ops) => {
        const sums = new ExactSums(n)
        const expected = new Array<bigint>(n).fill(0n)
        for (const op of ops) {
          if (op.kind === "push") {
            sums.push(op.value)
            expected.push(op.value)
          } else {
            const at = op.at % expected.length
            sums.add(at, op.value)
            expected[at] += op.value
          }
          expect(sums.length).toBe(expected.length)
          for (let i = 0; i < expected.length; i++) {
            expect(sums.get(i)).toBe(expected[i])
            expect(sums.isZero(i)).toBe(expected[i] === 0n)
          }
        }
      }),
      { numRuns: 500 }
    )
  })

  it("a sum that reaches 2^53 exactly leaves the number part (2^53 + 1 is not a double)", () => {
    const sums = new ExactSums(1)
    sums.add(0, TWO53 - 1n)
    sums.add(0, 1n)
    sums.add(0, 1n)
    expect(sums.get(0)).toBe(TWO53 + 1n)
    sums.add(0, -(TWO53 + 1n))
    expect(sums.isZero(0)).toBe(true)
  })

  it("addFrom adds another entry's exact sum, whether either holds a bigint part or not", () => {
    fc.assert(
      fc.property(fc.array(valueArb, { maxLength: 6 }), fc.array(valueArb, { maxLength: 6 }), fc.array(fc.boolean(), { maxLength: 20 }), (xs, ys, moves) => {
        // two entries filled by adds (crossing ±2^53 or not), then moved into each other
        const a = new ExactSums(1)
        const b = new ExactSums(2)
        let expectedA = 0n
        const expectedB = [0n, 0n]
        for (const x of xs) {
          a.add(0, x)
          expectedA += x
        }
        for (const y of ys) {
          b.add(1, y)
          expectedB[1] += y
        }
        for (const intoA of moves) {
          if (intoA) {
            a.addFrom(0, b, 1)
            expectedA += expectedB[1]
          } else {
            b.addFrom(0, a, 0)
            expectedB[0] += expectedA
          }
          expect(a.get(0)).toBe(expectedA)
          expect(b.get(0)).toBe(expectedB[0])
          expect(b.get(1)).toBe(expectedB[1])
          expect(a.isZero(0)).toBe(expectedA === 0n)
        }
      }),
      { numRuns: 500 }
    )
  })
})
