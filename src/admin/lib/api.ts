/**
 * Calls the rewards admin API with the admin's session (same origin as the dashboard, or
 * VITE_BACKEND_URL). A 400 carries `issues: [{ field, rule }]`.
 */
import { useCallback, useEffect, useState } from "react"

const BASE: string = (import.meta.env.VITE_BACKEND_URL as string | undefined) ?? ""

export type Issue = { field: string; rule: string }

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues: Issue[] = []
  ) {
    super(message)
  }
}

export async function api<T = any>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(`${BASE}${path}`, {
    method: init.method ?? "GET",
    credentials: "include",
    headers: init.body === undefined ? {} : { "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })
  const text = await res.text()
  const data = text ? JSON.parse(text) : null
  if (!res.ok) throw new ApiError(res.status, data?.message ?? res.statusText, data?.issues ?? [])
  return data as T
}

export function url(path: string): string {
  return `${BASE}${path}`
}

/** Loads `path` (null: nothing yet); `reload` fetches it again. */
export function useApi<T = any>(path: string | null) {
  const [data, setData] = useState<T | null>(null)
  const [error, setError] = useState<ApiError | null>(null)
  const [loading, setLoading] = useState(false)
  const [tick, setTick] = useState(0)
  useEffect(() => {
    if (path === null) return
    let live = true
    setLoading(true)
    api<T>(path)
      .then((d) => live && (setData(d), setError(null)))
      .catch((e) => live && setError(e instanceof ApiError ? e : new ApiError(0, String(e))))
      .finally(() => live && setLoading(false))
    return () => {
      live = false
    }
  }, [path, tick])
  const reload = useCallback(() => setTick((t) => t + 1), [])
  return { data, error, loading, reload }
}
