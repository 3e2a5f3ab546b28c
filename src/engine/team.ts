/**
 * The daily release pass (RULES.md §4.2–4.6) in one bottom-up sweep of the referral forest.
 *
 * Members arrive children before parents. What a member hands up to its referrer is small
 * and independent of depth: its team performance, per generation the base releases still
 * owed a share reward (§4.3), and per `high` state — the star level of the holder of `high`
 * and whether that level's peer bonus is already taken — the sum of the base releases whose
 * team walk is in that state (§4.4–4.5). A walk's state changes only where an ancestor's rate
 * beats `high` or takes the peer bonus, and that depends on the state and the ancestor only,
 * so walks in the same state travel together as one sum. Cost: O(members × levels), never
 * members × depth. A finite `teamMaxDepth` adds the distance travelled to the state.
 *
 * Decision (§4.5, "only the first such ancestor per level"): one peer flag per walk suffices.
 * The holder of `high` changes only to a strictly higher rate, so a level that stopped
 * holding `high` can never hold it again on the same walk.
 *
 * Everything here is exact: rates become integers over a common power of ten, amounts are
 * atoms, and each member's day total per kind is rounded down once (§1.6).
 */
import type { ReleaseConfig } from "./config"
import { Dec, ZERO } from "./decimal"
import { ExactSums } from "./exact-sums"
import { starLevelOf } from "./release"

export interface PassTranche {
  /** Locked points as the day's pass starts (a resumed pass reads the same: RewardsStore). */
  remaining: bigint
  dailyBase: bigint
}

/**
 * One member's day. The pass reuses this object and its arrays for the next member: read
 * it before calling {@link ReleasePass.process} again.
 */
export interface PassResult {
  /** Integer units of 10^-amountScale. */
  teamPerformance: bigint
  starLevel: number
  /** r(X): the member's gross base release. */
  baseTotal: bigint
  /** Accelerations owed per kind, each rounded down once. */
  share: bigint
  team: bigint
  peer: bigint
  /** Accelerations actually released (capped by locked points after base). */
  accelerationTotal: bigint
  forfeited: bigint
  /**
   * Per tranche (input order): locked points at the start, and what leaves it today. Reused:
   * entries past the member's tranches are stale.
   */
  start: bigint[]
  out: bigint[]
}

interface Carry {
  /**
   * [0]: team performance, integer units of 10^-amountScale; [g] for g ≥ 1: Σ r of descendants
   * g generations below.
   */
  sums: ExactSums
  /** Walk states (keys) and the Σ r travelling in each (walkSums[w]); a handful per member. */
  walkKeys: number[]
  walkSums: ExactSums
}

function decimalsOf(d: Dec): number {
  return d.decimalPlaces()
}

export class ReleasePass {
  private readonly carries = new Map<number, Carry>()
  private readonly unit: bigint
  private readonly shareRates: bigint[]
  private readonly teamRates: bigint[]
  private readonly peerRate: bigint
  private readonly shareDepth: number
  private readonly levels: number
  private readonly teamOn: boolean
  private readonly maxDepth: number | null
  /** Star level of a member without downline (a team threshold may be 0). */
  private readonly zeroStar: number
  private readonly result: PassResult = {
    teamPerformance: 0n,
    starLevel: 0,
    baseTotal: 0n,
    share: 0n,
    team: 0n,
    peer: 0n,
    accelerationTotal: 0n,
    forfeited: 0n,
    start: [],
    out: [],
  }

  /** Team-level thresholds in units: performance ≥ threshold ⟺ units ≥ ceil(threshold × 10^s). */
  private readonly thresholds: bigint[]

  constructor(
    private readonly cfg: ReleaseConfig,
    amountScale: number
  ) {
    const rates = [...cfg.shareRates, ...cfg.teamLevels.map((l) => l.rate), cfg.peerRate]
    const digits = Math.max(0, ...rates.map(decimalsOf))
    const unit = new Dec(10).pow(digits)
    const num = (d: Dec) => BigInt(d.times(unit).toFixed(0))
    this.unit = BigInt(unit.toFixed(0))
    this.shareDepth = Math.min(cfg.maxShareDepth, cfg.shareRates.length)
    this.shareRates = cfg.shareRates.slice(0, this.shareDepth).map(num)
    this.teamRates = [0n, ...cfg.teamLevels.map((l) => num(l.rate))]
    this.peerRate = num(cfg.peerRate)
    this.levels = cfg.teamLevels.length
    this.teamOn = cfg.teamRewardsEnabled
    this.maxDepth = cfg.teamMaxDepth
    this.zeroStar = starLevelOf(cfg.teamLevels, ZERO)
    const toUnits = new Dec(10).pow(amountScale)
    this.thresholds = cfg.teamLevels.map((l) => BigInt(l.threshold.times(toUnits).ceil().toFixed(0)))
  }

  /** RULES.md §4.4 star level of a team performance in units (thresholds strictly increase). */
  private starOf(performance: bigint): number {
    let star = 0
    while (star < this.thresholds.length && this.thresholds[star] <= performance) star++
    return star
  }

  private key(holder: number, peerTaken: boolean, distance: number): number {
    return (distance * (this.levels + 1) + holder) * 2 + (peerTaken ? 1 : 0)
  }

  private carryOf(id: number): Carry {
    let c = this.carries.get(id)
    if (!c) {
      c = { sums: new ExactSums(this.shareDepth + 1), walkKeys: [], walkSums: new ExactSums(0) }
      this.carries.set(id, c)
    }
    return c
  }

  /** Members still waiting for their referrer (the pass's memory: the current frontier). */
  get pending(): number {
    return this.carries.size
  }

  /**
   * One member, after all of its downline (children before parents). Members are named by
   * the store's numeric handles (`ref`, the referrer's `referrerRef`).
   */
  process(id: number, referrerId: number | null, netSpend: bigint, tranches: readonly PassTranche[]): PassResult {
    const res = this.result
    const carry = this.carries.get(id)
    if (carry) this.carries.delete(id)
    const performance = carry ? carry.sums.get(0) : 0n
    const star = carry ? this.starOf(performance) : this.zeroStar

    // §4.2 base release, including on the day the tranche was created
    const start = res.start
    const out = res.out
    // reused: only ever grown (entries past this member's tranches are stale, never read)
    if (start.length < tranches.length) {
      start.length = tranches.length
      out.length = tranches.length
    }
    let baseTotal = 0n
    for (let i = 0; i < tranches.length; i++) {
      const t = tranches[i]
      const s = t.remaining
      const b = t.dailyBase < s ? t.dailyBase : s
      start[i] = s
      out[i] = b
      baseTotal += b
    }

    let shareOwed = 0n
    let teamOwed = 0n
    let peerOwed = 0n
    const up = referrerId !== null ? this.carryOf(referrerId) : null
    if (carry) {
      // §4.3 share rewards owed to this member by its downline
      for (let g = 1; g <= this.shareDepth; g++) if (!carry.sums.isZero(g)) shareOwed += this.shareRates[g - 1] * carry.sums.get(g)

      // §4.4–4.5 walks arriving here, this member being the ancestor
      if (this.teamOn) {
        const rate = this.teamRates[star] ?? 0n
        const span = this.levels + 1
        for (let w = 0; w < carry.walkKeys.length; w++) {
          const key = carry.walkKeys[w]
          const sum = carry.walkSums.get(w)
          if (sum === 0n) continue
          const peerTaken = key % 2 === 1
          const holder = Math.floor(key / 2) % span
          const distance = Math.floor(key / 2 / span)
          let nextHolder = holder
          let nextTaken = peerTaken
          const high = this.teamRates[holder]
          if (rate > high) {
            teamOwed += (rate - high) * sum // the differential (级差)
            nextHolder = star
            nextTaken = false
          } else if (star >= 1 && star === holder && !peerTaken) {
            peerOwed += this.peerRate * sum // first ancestor of the holder's level (平级奖)
            nextTaken = true
          }
          const slot = up ? this.walkSlot(up, nextHolder, nextTaken, distance) : -1
          if (slot >= 0) up!.walkSums.addFrom(slot, carry.walkSums, w)
        }
      }
    }

    // §4.6: per kind summed exactly, rounded down once, capped by locked points after base,
    // released from the oldest tranche first
    const share = shareOwed === 0n ? 0n : shareOwed / this.unit
    const team = teamOwed === 0n ? 0n : teamOwed / this.unit
    const peer = peerOwed === 0n ? 0n : peerOwed / this.unit
    const owed = share + team + peer
    let left = owed
    for (let i = 0; i < tranches.length && left > 0n; i++) {
      const available = start[i] - out[i]
      const take = left < available ? left : available
      out[i] += take
      left -= take
    }

    if (up) {
      // the referrer's team performance takes this member's net spend and team performance
      if (netSpend !== 0n) up.sums.add(0, netSpend)
      if (carry) up.sums.addFrom(0, carry.sums, 0)
      if (this.shareDepth > 0) {
        if (baseTotal !== 0n) up.sums.add(1, baseTotal)
        if (carry) for (let g = 1; g < this.shareDepth; g++) up.sums.addFrom(g + 1, carry.sums, g)
      }
      if (this.teamOn && baseTotal > 0n) {
        const slot = this.walkSlot(up, 0, false, 0)
        if (slot >= 0) up.walkSums.add(slot, baseTotal)
      }
    }

    res.teamPerformance = performance
    res.starLevel = star
    res.baseTotal = baseTotal
    res.share = share
    res.team = team
    res.peer = peer
    res.accelerationTotal = owed - left
    res.forfeited = left
    return res
  }

  /**
   * Where a walk that was at distance `distance` travels on in its next generation up: its entry
   * of `up`'s walk sums (a new one, at 0, for a state not travelling there yet); −1 when the walk
   * ends here (RULES.md §4.4 depth limit).
   */
  private walkSlot(up: Carry, holder: number, peerTaken: boolean, distance: number): number {
    let next = 0
    if (this.maxDepth !== null) {
      next = distance + 1
      if (next > this.maxDepth) return -1
    }
    const k = this.key(holder, peerTaken, next)
    const i = up.walkKeys.indexOf(k)
    if (i >= 0) return i
    up.walkKeys.push(k)
    up.walkSums.push(0n)
    return up.walkKeys.length - 1
  }
}

/**
 * Team performance and star level of every member from the current net spends (RULES.md §4.4),
 * for reports between closes. Input children before parents.
 */
export function teamPerformances(
  cfg: ReleaseConfig,
  members: Iterable<{ id: string; referrerId: string | null; netSpend: Dec }>
): Map<string, { performance: Dec; starLevel: number }> {
  const carried = new Map<string, Dec>()
  const out = new Map<string, { performance: Dec; starLevel: number }>()
  for (const m of members) {
    const performance = carried.get(m.id) ?? ZERO
    carried.delete(m.id)
    out.set(m.id, { performance, starLevel: starLevelOf(cfg.teamLevels, performance) })
    if (m.referrerId) {
      carried.set(m.referrerId, (carried.get(m.referrerId) ?? ZERO).plus(m.netSpend).plus(performance))
    }
  }
  return out
}
