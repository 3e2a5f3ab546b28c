/** BENCH_PROFILE=<file>: a CPU profile of a timed section (open it in Chrome DevTools). */
import { writeFileSync } from "node:fs"

export async function startProfile(): Promise<(file: string) => Promise<void>> {
  const inspector = await import("node:inspector")
  const session = new inspector.Session()
  session.connect()
  const post = (method: string) =>
    new Promise<unknown>((resolve, reject) => session.post(method, (e, r) => (e ? reject(e) : resolve(r))))
  await post("Profiler.enable")
  await post("Profiler.start")
  return async (file) => {
    const { profile } = (await post("Profiler.stop")) as { profile: unknown }
    writeFileSync(file, JSON.stringify(profile))
  }
}
