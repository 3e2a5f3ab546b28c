/** Moved to scripts/lib/auth.ts (shared with `npm run demo`). */
export * from "../../scripts/lib/auth"
