/**
 * `npm run bench:engine`: one day close of the engine on the in-memory store at 100 k, 300 k
 * and 1 M members (issue #2). Each size runs in its own process so peak RSS is its own.
 *
 * Member base: a random referral forest plus one long chain (100 000 deep, or half the
 * members when that is fewer), every member with two orders that make release tranches;
 * growth (with forced exits), cycle and release with team rewards all on. The base is built
 * through the engine's own bulk import (not timed); the close of that day is timed.
 *
 *   npm run bench:engine                 # 100k, 300k, 1M
 *   npm run bench:engine -- 20000 50000  # other sizes
 */
import { spawnSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { memoryEngine } from "../src/simulator/scenario"
import { BENCH_DAY, benchProgram, buildBase } from "./lib/base"
import { startProfile } from "./lib/profile"

async function runSize(members: number): Promise<void> {
  const { engine, store } = memoryEngine(benchProgram())
  const built = Date.now()
  await buildBase(engine, members)
  const buildSeconds = (Date.now() - built) / 1000
  // the close starts from a settled heap, as on a worker between ticks: the build's garbage
  // is not the close's cost (npm run bench:engine passes --expose-gc)
  ;(globalThis as { gc?: () => void }).gc?.()
  if (process.env.BENCH_HEAP) {
    const m = process.memoryUsage()
    process.stderr.write(`after build: heap ${(m.heapUsed / 2 ** 20).toFixed(0)} MiB, external ${((m.external + m.arrayBuffers) / 2 ** 20).toFixed(0)} MiB, rss ${(m.rss / 2 ** 20).toFixed(0)} MiB\n`)
  }
  const before = store.transferCount()
  const profile = process.env.BENCH_PROFILE ? await startProfile(process.env.BENCH_PROFILE) : null
  // Linux keeps the peak RSS in VmHWM; writing 5 to clear_refs resets it, so the close's own
  // peak can be read apart from the build's (the process peak, maxRSS, includes the build)
  const resetPeak = () => writeFileSync("/proc/self/clear_refs", "5")
  const peakSinceReset = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))![1]) * 1024
  resetPeak()
  const startRss = process.memoryUsage.rss()
  if (process.env.BENCH_HEAP) process.stderr.write("--- close starts\n")
  const started = process.hrtime.bigint()
  await engine.closeDay(BENCH_DAY)
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const closeRss = peakSinceReset()
  if (profile) await profile()
  const transfers = store.transferCount() - before
  const peakRss = process.resourceUsage().maxRSS * 1024
  process.stdout.write(`${JSON.stringify({ members, transfers, seconds, peakRss, closeRss, startRss, buildSeconds })}\n`)
}

function main(): void {
  const sizeArg = process.argv.indexOf("--size")
  if (sizeArg >= 0) {
    runSize(Number(process.argv[sizeArg + 1])).catch((e) => {
      process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`)
      process.exit(1)
    })
    return
  }
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0)
  const results: { members: number; transfers: number; seconds: number; peakRss: number; closeRss: number; buildSeconds: number }[] = []
  console.log("members    transfers   close s   µs/member   peak RSS MiB   close RSS MiB   (build s)")
  for (const size of sizes.length > 0 ? sizes : [100_000, 300_000, 1_000_000]) {
    const child = spawnSync(process.execPath, [...process.execArgv, __filename, "--size", String(size)], {
      encoding: "utf8",
      maxBuffer: 1 << 20,
      stdio: ["ignore", "pipe", "inherit"],
    })
    if (child.status !== 0) throw new Error(`size ${size} failed (exit ${child.status})`)
    const r = JSON.parse(child.stdout.trim().split("\n").pop()!)
    results.push(r)
    console.log(
      `${String(r.members).padEnd(10)} ${String(r.transfers).padEnd(11)} ${r.seconds.toFixed(2).padEnd(9)} ${((r.seconds / r.members) * 1e6).toFixed(2).padEnd(11)} ${(r.peakRss / 2 ** 20).toFixed(0).padEnd(14)} ${(r.closeRss / 2 ** 20).toFixed(0).padEnd(15)} (${r.buildSeconds.toFixed(1)})`
    )
  }
  const small = results.find((r) => r.members === Math.min(...results.map((x) => x.members)))!
  const large = results.find((r) => r.members === Math.max(...results.map((x) => x.members)))!
  if (small !== large) {
    const ratio = large.seconds / large.members / (small.seconds / small.members)
    console.log(`per-member cost ratio ${large.members} vs ${small.members}: ${ratio.toFixed(2)}`)
  }
}

if (require.main === module) main()
