// The one retry of a write that lost a race inside Postgres. A deadlock (40P01) or a serialization
// failure (40001, which ingest also raises itself when a merge moved a customer it writes to)
// rolls the statement or transaction back whole, so running it again is safe and is what the
// caller wants. Each attempt waits a little longer, at random: writers that deadlocked with each
// other and start again at the same instant tend to deadlock again (a CI run under load once
// exhausted four immediate attempts and answered a 500).

const TRANSIENT_SQLSTATES = new Set(['40P01', '40001'])

/** How many times a write runs at most. */
export const WRITE_ATTEMPTS = 8

/** Whether Postgres rolled the write back for losing a race, so that it may run again. */
export function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && TRANSIENT_SQLSTATES.has(code)
}

/** Runs `write`, again after a short random wait when it fails transiently (or `alsoRetry` says
 *  so), up to `attempts` times; the last failure is thrown. */
export async function retryTransient<T>(
  write: () => Promise<T>,
  {
    attempts = WRITE_ATTEMPTS,
    alsoRetry,
  }: { attempts?: number; alsoRetry?: (err: unknown) => boolean } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write()
    } catch (err) {
      if (attempt >= attempts || !(isTransient(err) || alsoRetry?.(err))) throw err
      // 0–2, 0–4, … 0–64 ms: enough to let the other side of a deadlock commit first.
      const ms = Math.random() * 2 ** Math.min(attempt, 6)
      await new Promise((resolve) => setTimeout(resolve, ms))
    }
  }
}
