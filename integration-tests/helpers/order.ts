/** Moved to scripts/lib/order.ts (shared with `npm run demo`). */
export * from "../../scripts/lib/order"
