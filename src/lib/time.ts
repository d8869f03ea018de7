// The one rule for a moment TinyCRM is told about, wherever it comes in: identify's and ping's
// `timestamp`, a billing event's time, and the dates a billing event schedules (a trial's end, a
// cancellation). Each problem reads after the field's name: "timestamp is before 1970".

/** How far in the future a moment that happened may be (the sender's clock skew), in ms. */
export const FUTURE_SKEW_MS = 24 * 60 * 60 * 1000

/** The last moment with a four-digit year: what ISO 8601 dates, the filter syntax and Postgres'
 *  input all read (a JS Date goes to the year 275760, and `+275760-…` is none of them). */
const LATEST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

/**
 * Why `ms` cannot be stored, or undefined when it can.
 * - `happened`: when something happened (an activity, a billing event) — not more than a day
 *   ahead of now.
 * - `scheduled`: a date something is due (a trial's end, a cancellation) — any year up to 9999.
 */
export function timeProblem(
  ms: number,
  kind: 'happened' | 'scheduled',
  /** When it arrived (a Segment batch gives its own): "ahead" counts from there. */
  now = Date.now(),
): string | undefined {
  // Year 1 or 1900 is a placeholder or a bug in the sender, never a customer's activity.
  if (ms < 0) return 'is before 1970'
  if (kind === 'happened' && !(ms <= now + FUTURE_SKEW_MS)) {
    return 'is more than a day in the future'
  }
  if (!(ms <= LATEST_MS)) return 'is after the year 9999'
  return undefined
}
