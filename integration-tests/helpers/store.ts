/** Moved to scripts/lib/store.ts (shared with `npm run demo`). */
export * from "../../scripts/lib/store"
