/**
 * A request the rules refuse (RULES.md: "bad input gets a clear error and changes nothing").
 * `field` names the offending input so an API can answer 400 with it and the simulator
 * can print one line.
 */
export class RulesError extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
    /** `duplicate`: the same cause was already applied; a store treats it as done. */
    readonly code: "invalid" | "duplicate" = "invalid"
  ) {
    super(`${field}: ${rule}`)
    this.name = "RulesError"
  }
}

export function reject(field: string, rule: string): never {
  throw new RulesError(field, rule)
}

export function duplicate(field: string, rule: string): never {
  throw new RulesError(field, rule, "duplicate")
}
