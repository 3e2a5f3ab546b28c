/**
 * BENCH_PROFILE=<file>: a CPU profile of a timed section (open it in Chrome DevTools).
 * BENCH_PROFILE=heap:<file>: a sampling heap profile instead — where the section allocates,
 * garbage included (every object sampled while it was allocated, not only those still live).
 */
import { writeFileSync } from "node:fs"

export async function startProfile(target: string): Promise<() => Promise<void>> {
  const inspector = await import("node:inspector")
  const session = new inspector.Session()
  session.connect()
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params ?? {}, (e, r) => (e ? reject(e) : resolve(r))))
  if (target.startsWith("heap:")) {
    await post("HeapProfiler.enable")
    await post("HeapProfiler.startSampling", {
      samplingInterval: 32_768,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    })
    return async () => {
      const { profile } = (await post("HeapProfiler.stopSampling")) as { profile: unknown }
      writeFileSync(target.slice("heap:".length), JSON.stringify(profile))
    }
  }
  await post("Profiler.enable")
  await post("Profiler.start")
  return async () => {
    const { profile } = (await post("Profiler.stop")) as { profile: unknown }
    writeFileSync(target, JSON.stringify(profile))
  }
}
