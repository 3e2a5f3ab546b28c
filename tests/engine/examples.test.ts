/**
 * The worked examples and hand-computed edge cases (tests/examples, copied from the
 * project's shared examples): each scenario's output must equal its expected file exactly,
 * amounts compared as decimals.
 */
import { join } from "node:path"
import { EXAMPLES, exampleNames, normalise, readJson, simulateDoc } from "../helpers"

describe("worked examples through the simulator", () => {
  const names = exampleNames()

  it("has all 34 example scenarios", () => {
    expect(names).toHaveLength(34)
  })

  it.each(names)("%s", async (name) => {
    const output = await simulateDoc(readJson(join(EXAMPLES, "scenarios", `${name}.json`)))
    const expected = readJson(join(EXAMPLES, "expected", `${name}.json`)) as Record<string, unknown>
    expect(output.invariants).toEqual({ ok: true, violations: [] })
    expect(normalise(output.members)).toEqual(normalise(expected.members))
    expect(normalise(output.growth)).toEqual(normalise(expected.growth))
    expect(normalise(output.days)).toEqual(normalise(expected.days))
  })
})
