/**
 * The program of `npm run bench:orders` (RULES.md §1.9): every scheme on, CNY, UTC, with the
 * referrer's share of each scheme switched on so that an award also reads and writes the
 * buyer's referrer. An order of 2 × 100 CNY (eligible 200) makes a release tranche.
 */
export const BENCH_PROGRAM = {
  currency: "CNY",
  timezone: "UTC",
  scale: 4,
  schemes: {
    growth: { enabled: true, poolRate: "0.30", buyerIssueRate: "0.70", referrerIssueRate: "0.10", exitCapMultiple: "2" },
    cycle: {
      enabled: true,
      weightUnit: "100",
      referralQuotaRate: "0.1",
      referralWeightRate: "0.5",
      tiers: [
        { name: "V1", min: 1, max: 20, rate: "0.01" },
        { name: "V2", min: 21, max: null, rate: "0.03" },
      ],
    },
    release: { enabled: true, levels: [{ threshold: "150", multiple: "2.5" }], teamRewardsEnabled: true },
  },
}
