/**
 * Jest runs every suite through @swc/jest (TypeScript + legacy decorators, as
 * Medusa's own code uses). Suites are grouped into projects so one group can be
 * run alone: `npx jest --selectProjects engine`.
 *
 * To add a group (e.g. HTTP or module integration suites), append another
 * `project({ displayName, testMatch, ... })` to `projects` below; per-project
 * options such as `globalSetup` or `testTimeout`-heavy setups go in that object.
 */

/** @type {import('@jest/types').Config.InitialProjectOptions['transform']} */
const transform = {
  "^.+\\.[jt]s$": [
    "@swc/jest",
    {
      jsc: {
        target: "es2021",
        parser: { syntax: "typescript", decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
      },
    },
  ],
}

const ignored = ["/node_modules/", "<rootDir>/.medusa/"]

/** Options shared by every project. */
function project(options) {
  return {
    rootDir: __dirname,
    testEnvironment: "node",
    transform,
    moduleFileExtensions: ["ts", "js", "json"],
    testPathIgnorePatterns: ignored,
    modulePathIgnorePatterns: ["<rootDir>/.medusa/"],
    watchPathIgnorePatterns: ignored,
    ...options,
  }
}

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    project({
      displayName: "engine",
      testMatch: [
        "<rootDir>/src/**/__tests__/**/*.test.ts",
        "<rootDir>/tests/**/*.test.ts",
      ],
    }),
  ],
}
