import DecimalJs from "decimal.js"

/**
 * The engine's decimal type (RULES.md §1.6).
 *
 * A private clone so the store's other Decimal users cannot change its settings.
 * 80 significant digits with ROUND_DOWN: an intermediate result that does not fit
 * is truncated towards zero, so flooring it afterwards gives the same answer as
 * flooring the exact value (an exact multiple of 10^-scale always fits).
 */
export const Dec = DecimalJs.clone({
  precision: 80,
  rounding: DecimalJs.ROUND_DOWN,
  toExpNeg: -100,
  toExpPos: 100,
})
export type Dec = InstanceType<typeof Dec>

export const ZERO = new Dec(0)
export const ONE = new Dec(1)

/** Plain decimal notation, as the simulator contract requires: digits, an optional fraction. */
export const PLAIN_DECIMAL = /^-?\d+(\.\d+)?$/


/**
 * A decimal as an integer count of 10^-scale units ("atoms"); the value must already be at
 * scale. Goes through the decimal string: cheaper than scaling, and exact.
 */
export function toAtoms(x: Dec, scale: number): bigint {
  if (x.decimalPlaces() > scale) {
    throw new Error(`internal: ${x.toFixed()} has more than ${scale} decimals`)
  }
  return BigInt(x.toFixed(scale).replace(".", ""))
}

/** floor(x) as atoms of 10^-scale. */
export function floorAtoms(x: Dec, scale: number): bigint {
  return BigInt(x.toDecimalPlaces(scale, Dec.ROUND_FLOOR).toFixed(scale).replace(".", ""))
}

/** Atoms of 10^-scale back to a decimal. */
export function fromAtoms(atoms: bigint, scale: number): Dec {
  return new Dec(formatAtoms(atoms, scale))
}

/** Atoms as a plain decimal string without trailing zeros ("12.5", "0", "-3"). */
export function formatAtoms(atoms: bigint, scale: number): string {
  const negative = atoms < 0n
  let digits = (negative ? -atoms : atoms).toString()
  if (scale > 0) {
    digits = digits.padStart(scale + 1, "0")
    const int = digits.slice(0, digits.length - scale)
    const frac = digits.slice(digits.length - scale).replace(/0+$/, "")
    digits = frac ? `${int}.${frac}` : int
  }
  return (negative && digits !== "0" ? "-" : "") + digits
}

