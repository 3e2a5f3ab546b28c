#!/usr/bin/env node
"use strict"
// Runs the compiled CLI of the published package (.medusa/server). Inside the repository,
// where the TypeScript sources are, it runs them directly so the command never lags the code.
const path = require("node:path")
const fs = require("node:fs")

const root = path.join(__dirname, "..")
const source = path.join(root, "src", "cli", "index.ts")
let cli
if (fs.existsSync(source)) {
  require("tsx/cjs")
  cli = require(source)
} else {
  cli = require(path.join(root, ".medusa", "server", "src", "cli", "index.js"))
}
cli.main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (e) => {
    process.stderr.write(`internal error: ${String((e && e.message) || e).replace(/\n/g, " ")}\n`)
    process.exitCode = 1
  }
)
