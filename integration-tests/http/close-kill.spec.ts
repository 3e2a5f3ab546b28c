/**
 * RULES.md §6 resumability with a real process: a Medusa process (`medusa exec`) closing two
 * business days is killed with SIGKILL again and again — at least MIN_KILLS times in all, at
 * points spread over every step of both days' closes — and restarted each time; the final
 * ledger must be exactly that of an uninterrupted close of a copy of the same database, and
 * `medusa-rewards audit` must pass on it.
 *
 * Where the time goes: every kill costs a process start (~7 s of Medusa loading on a 2-core
 * machine), so the kills run in CHAINS independent chains, each on its own copy of the
 * database, side by side. Small close batches (DAY_BATCH_SIZE) give ~250 commit points.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { Client } from "pg"
import { seededRandom } from "../../src/simulator/random"
import { type Launched, REPO_ROOT, launchMedusa, runMedusa, signalGroup, sleep, stopAll } from "../../scripts/lib/processes"
import { createDatabase, databaseUrl, dropDatabase, expectSameLedger, ledgerSnapshot, sql } from "../helpers/ledger"

const SCRIPT = "./integration-tests/process/rewards-script.ts"
const PROGRAM = {
  currency: "CNY",
  timezone: "Asia/Shanghai",
  scale: 4,
  schemes: {
    growth: { enabled: true, exitCapMultiple: "2" },
    cycle: { enabled: true, weightUnit: "100", tiers: [{ min: 1, max: null, rate: "0.05" }] },
    release: {
      enabled: true,
      levels: [
        { threshold: "300", multiple: "2.5" },
        { threshold: "2000", multiple: "3" },
      ],
      teamRewardsEnabled: true,
    },
  },
}
const MEMBERS = 1200
const DAY_BATCH_SIZE = 10
const MIN_KILLS = 20
const CHAINS = 2
const SEED_DAY = "2026-05-04"
const CLOSE_ENV = { REWARDS_SCRIPT: "close", REWARDS_DAY: "2026-05-06" } // closes 05-04 and 05-05
const LAST_DAY = "2026-05-05"

const programFile = path.join(mkdtempSync(path.join(tmpdir(), "rewards-kill-")), "program.json")
writeFileSync(programFile, JSON.stringify(PROGRAM))

const env = (db: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  DATABASE_URL: databaseUrl(db),
  MEDUSA_REWARDS_PROGRAM_FILE: programFile,
  MEDUSA_REWARDS_DAY_BATCH_SIZE: String(DAY_BATCH_SIZE),
  LOG_LEVEL: "error",
  NODE_ENV: "development",
  ...extra,
})

/**
 * Progress of a close as one number: day runs started plus day batches committed. Every value
 * from 1 to the total is a commit of the close (a day run's first commit, or a commit carrying
 * day batches), so "kill once progress ≥ t" for t below the total kills a close under way.
 */
const PROGRESS = `select (select count(*)::int from rewards_day_run) + (select count(*)::int from rewards_transfer_batch where key like 'day:%') as p`

/** The commit points of the uninterrupted close, grouped by day and step, in commit order. */
async function stepsOf(db: string): Promise<{ label: string; first: number; last: number }[]> {
  const batches = await sql(db, `select key from rewards_transfer_batch where key like 'day:%' order by id`)
  const groups: { label: string; first: number; last: number }[] = []
  let position = 0
  let day = ""
  for (const { key } of batches) {
    const [, d, step] = key.split(":")
    if (d !== day) {
      day = d
      position++ // the day run's first commit
    }
    position++
    const label = `${d} ${step.startsWith("cus_") ? "exit" : step}`
    const last = groups[groups.length - 1]
    if (last?.label === label) last.last = position
    else groups.push({ label, first: position, last: position })
  }
  return groups
}

/**
 * Kill targets for one chain: one inside every step (a target t kills once progress ≥ t, i.e.
 * after the commit before position t + 1: while that commit's work is under way), then random
 * ones, all at least MARGIN commits before the end so that a kill lands in a close still
 * running even when the watcher sees the target late.
 */
const MARGIN = 5
function targetsFor(groups: { first: number; last: number }[], total: number, count: number, random: () => number): number[] {
  const targets = new Set<number>()
  for (const g of groups) targets.add(Math.min(total - MARGIN, g.first - 1 + Math.floor(random() * (g.last - g.first + 1))))
  while (targets.size < count) targets.add(1 + Math.floor(random() * (total - MARGIN)))
  return [...targets].sort((a, b) => a - b)
}

interface Kill {
  target: number
  at: number
  step: string
}

/**
 * Restarts the close on `db` until it finishes, killing it at `targets` first (and at fresh
 * random points if an overshoot skipped some, until `minKills`).
 */
async function killChain(db: string, targets: number[], total: number, minKills: number, random: () => number, log: string[]) {
  const watcher = new Client({ connectionString: databaseUrl(db) })
  await watcher.connect()
  const progress = async () => Number((await watcher.query(PROGRESS)).rows[0].p)
  const kills: Kill[] = []
  let finalOutput = ""
  try {
    for (let run = 0; run < 3 * minKills; run++) {
      const now = await progress()
      let target = targets.find((t) => t > now)
      if (target === undefined && kills.length < minKills && now < total - MARGIN) target = now + 1 + Math.floor(random() * (total - MARGIN - now))
      const child: Launched = launchMedusa(`close ${db} #${run}`, ["exec", SCRIPT], { env: env(db, CLOSE_ENV) })
      if (target !== undefined) {
        for (;;) {
          if (!child.running()) break
          const p = await progress()
          if (p >= target) {
            if (signalGroup(child, "SIGKILL")) {
              await child.exited
              // where the close was when it died; a kill after its last commit interrupted nothing
              const [where] = (
                await watcher.query(
                  `select coalesce((select day || ' ' || step from rewards_day_run where step <> 'done' order by day limit 1), 'between days') as s,
                          (select last_closed_day from rewards_program) as last`
                )
              ).rows
              if (where.last !== LAST_DAY) kills.push({ target, at: p, step: where.s })
            }
            break
          }
          await sleep(10)
        }
      }
      const exit = await child.exited
      if (exit.signal === "SIGKILL") continue
      // a run we did not kill must end the close cleanly
      if (exit.code !== 0) throw new Error(`${child.name} exited ${exit.code}:\n${child.output().slice(-3000)}`)
      if (target === undefined) {
        finalOutput = child.output()
        break
      }
    }
  } finally {
    await watcher.end()
  }
  log.push(`${db}: killed ${kills.length}× at progress ${kills.map((k) => `${k.at} (${k.step})`).join(", ")} of ${total}`)
  return { kills, finalOutput }
}

describe("a day close killed at random points converges to the uninterrupted ledger", () => {
  const suffix = `${process.pid}_${Date.now() % 100000}`
  const base = `rewards_kill_base_${suffix}`
  const reference = `rewards_kill_ref_${suffix}`
  const victims = Array.from({ length: CHAINS }, (_, i) => `rewards_kill_victim${i}_${suffix}`)

  beforeAll(async () => {
    await createDatabase(base)
    await runMedusa("migrate", ["db:migrate"], { env: env(base) })
    await runMedusa("seed", ["exec", SCRIPT], { env: env(base, { REWARDS_SCRIPT: "seed", REWARDS_DAY: SEED_DAY, REWARDS_MEMBERS: String(MEMBERS) }) })
    await createDatabase(reference, base)
    for (const victim of victims) await createDatabase(victim, base)
  }, 300_000)

  afterAll(async () => {
    await stopAll()
    for (const db of [base, reference, ...victims]) await dropDatabase(db)
  })

  it(`kills the closing process at least ${MIN_KILLS} times, over every step, and ends with the same ledger`, async () => {
    const started = Date.now()
    const out = await runMedusa("reference close", ["exec", SCRIPT], { env: env(reference, CLOSE_ENV) })
    expect(out).toContain("closed 2026-05-04,2026-05-05 audit ok")
    const groups = await stepsOf(reference)
    const [{ p: total }] = await sql(reference, PROGRESS)
    expect(total).toBe(groups[groups.length - 1].last)
    // every step of the close has commit points to kill at
    expect(groups.map((g) => g.label)).toEqual(
      expect.arrayContaining([
        "2026-05-04 exit",
        "2026-05-04 cycle-pools",
        "2026-05-04 members",
        "2026-05-04 cycle-returned",
        "2026-05-05 cycle-pools",
        "2026-05-05 members",
        "2026-05-05 cycle-returned",
      ])
    )
    expect(total).toBeGreaterThan(200)

    // deterministic random points per chain, printed so that a failure can be replayed
    const seed = Number(process.env.KILL_SEED ?? 20261203)
    const perChain = Math.ceil(MIN_KILLS / CHAINS)
    const log: string[] = []
    const results = await Promise.all(
      victims.map((victim, i) => {
        const random = seededRandom(seed + i)
        // one target more than the kills needed: a watcher that sees two nearby targets late
        // (a step of a few quick commits) kills once for both
        return killChain(victim, targetsFor(groups, total, perChain + 1, random), total, perChain, random, log)
      })
    )
    const kills = results.flatMap((r) => r.kills)
    process.stdout.write(
      `${log.join("\n")}\nsteps: ${groups.map((g) => `${g.label} ${g.first}–${g.last}`).join(", ")}\n` +
        `${kills.length} kills (KILL_SEED=${seed}) in ${Math.round((Date.now() - started) / 1000)} s\n`
    )
    // kills counted: those that left the close unfinished
    expect(kills.length).toBeGreaterThanOrEqual(MIN_KILLS)

    const expected = await ledgerSnapshot((text) => sql(reference, text))
    for (const [i, victim] of victims.entries()) {
      expect(results[i].finalOutput).toContain("audit ok")
      expectSameLedger(await ledgerSnapshot((text) => sql(victim, text)), expected)
    }

    // `medusa-rewards audit` on a resumed database: sound; then a tampered balance is found
    const audit = () =>
      spawnSync(process.execPath, [path.join(REPO_ROOT, "bin/medusa-rewards.js"), "audit"], {
        cwd: REPO_ROOT,
        encoding: "utf8",
        env: { ...process.env, DATABASE_URL: databaseUrl(victims[0]) },
      })
    const sound = audit()
    expect(sound.stdout).toMatch(/^ledger sound: \d+ transfers, \d+ accounts/)
    expect(sound.status).toBe(0)
    // one more change of a member's balance than its transfers made (a member's balance is its
    // day snapshot plus its changes since)
    await sql(victims[0], `insert into rewards_member_balance (account, asset, amount) values ('m:cus_7', 'POINTS', 1)`)
    const broken = audit()
    expect(broken.status).toBe(1)
    expect(broken.stdout).toContain("invariant 1: m:cus_7|POINTS")
    expect(broken.stdout).toContain("[m:cus_7]")
  }, 900_000)
})
