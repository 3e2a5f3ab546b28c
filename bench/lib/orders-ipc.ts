/**
 * The message protocol between bench/orders.ts and its two Medusa processes
 * (`medusa exec ./bench/lib/orders-plugin-body.ts` and `… orders-bare-body.ts`), over the IPC
 * channel Node opens for a child spawned with an "ipc" stdio entry:
 *
 *   child → parent  { type: "ready", data }             after its setup
 *   parent → child  { type: "task", id, name, args }
 *   child → parent  { type: "result", id, ok, data | error }
 *   parent → child  { type: "exit" }                     the exec script returns; medusa exits
 *
 * A child whose parent is gone (the channel closes) exits at once, so no run is left
 * orphaned.
 */

export type TaskHandlers = Record<string, (args: any) => Promise<unknown>>

export type ParentMessage = { type: "task"; id: number; name: string; args: unknown } | { type: "exit" }
export type ChildMessage =
  | { type: "ready"; data: unknown }
  | { type: "result"; id: number; ok: true; data: unknown }
  | { type: "result"; id: number; ok: false; error: string }

export const log = (message: string) => process.stderr.write(`[bench] ${message}\n`)

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error("no IPC channel: run this through bench/orders.ts"))
    process.send(message, undefined, {}, (error) => (error ? reject(error) : resolve()))
  })
}

/** Announces `ready` and runs tasks one at a time until the parent says `exit`. */
export async function serve(ready: unknown, handlers: TaskHandlers): Promise<void> {
  if (!process.send) throw new Error("no IPC channel: run this through bench/orders.ts")
  process.on("disconnect", () => {
    log("bench/orders.ts is gone: exiting")
    process.exit(1)
  })
  let queue = Promise.resolve()
  const finished = new Promise<void>((resolve) => {
    process.on("message", (message: ParentMessage) => {
      if (message.type === "exit") {
        queue = queue.then(() => resolve())
        return
      }
      if (message.type !== "task") return
      queue = queue.then(async () => {
        const handler = handlers[message.name]
        try {
          if (!handler) throw new Error(`unknown task ${message.name}`)
          const data = await handler(message.args)
          await send({ type: "result", id: message.id, ok: true, data })
        } catch (e) {
          const error = e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : String(e)
          await send({ type: "result", id: message.id, ok: false, error })
        }
      })
    })
  })
  await send({ type: "ready", data: ready })
  await finished
}
