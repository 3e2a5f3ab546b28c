/**
 * jest `setupFilesAfterEnv` of the integration project. A suite's first test
 * waits for migrations and link sync (~15 s); later tests restore a database
 * template (~1 s) and run real workflows.
 */
jest.setTimeout(120_000)
