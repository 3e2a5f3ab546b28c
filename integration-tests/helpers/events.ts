/**
 * Records events as a subscriber receives them: subscribes to the app's event
 * bus (the local bus in tests), so an event counts only once it is actually
 * delivered (workflow events are held back until their workflow succeeds).
 */
import type { MedusaContainer } from "@medusajs/framework/types"
import { Modules } from "@medusajs/framework/utils"

export type RecordedEvent = {
  name: string
  data: any
  metadata?: Record<string, unknown>
}

export type EventRecorder = {
  readonly events: RecordedEvent[]
  /** Events of that name received so far. */
  named(name: string): RecordedEvent[]
  /** Resolves with the first event of that name matching `where`; rejects after `timeoutMs`. */
  waitFor(
    name: string,
    where?: (event: RecordedEvent) => boolean,
    timeoutMs?: number
  ): Promise<RecordedEvent>
  clear(): void
  /** Unsubscribes (the container outlives each test: call it in afterEach/afterAll). */
  stop(): void
}

let recorders = 0

export function recordEvents(container: MedusaContainer, names: string[]): EventRecorder {
  const eventBus = container.resolve(Modules.EVENT_BUS)
  const events: RecordedEvent[] = []
  const subscriberId = `integration-test-recorder-${++recorders}`
  const subscriber = async (event: RecordedEvent) => {
    events.push({ name: event.name, data: event.data, metadata: event.metadata })
  }
  for (const name of names) {
    eventBus.subscribe(name, subscriber as any, { subscriberId })
  }

  const matching = (name: string, where?: (event: RecordedEvent) => boolean) =>
    events.find((e) => e.name === name && (!where || where(e)))

  return {
    events,
    named: (name) => events.filter((e) => e.name === name),
    async waitFor(name, where, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const found = matching(name, where)
        if (found) return found
        if (Date.now() > deadline) {
          const seen = events.map((e) => e.name).join(", ") || "none"
          throw new Error(`no ${name} event within ${timeoutMs} ms (received: ${seen})`)
        }
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    },
    clear() {
      events.length = 0
    },
    stop() {
      for (const name of names) {
        eventBus.unsubscribe(name, subscriber as any, { subscriberId })
      }
    },
  }
}

/**
 * Holds one of the app's subscribers back on the local event bus (tests run on it): its
 * events are not delivered to it until the returned function puts it back. Events emitted
 * meanwhile are not replayed: the test drives what the subscriber would have done.
 */
export function holdSubscriber(container: MedusaContainer, eventName: string, subscriberId: string): () => void {
  const bus = container.resolve(Modules.EVENT_BUS) as unknown as { eventEmitter_?: import("node:events").EventEmitter }
  const emitter = bus.eventEmitter_
  if (!emitter) throw new Error("holdSubscriber needs Medusa's local event bus")
  const held = emitter.listeners(eventName).filter((l) => (l as { subscriberId?: string }).subscriberId === subscriberId)
  if (held.length === 0) throw new Error(`no subscriber ${subscriberId} listens to ${eventName}`)
  for (const listener of held) emitter.off(eventName, listener as (...args: unknown[]) => void)
  return () => {
    for (const listener of held) emitter.on(eventName, listener as (...args: unknown[]) => void)
  }
}
