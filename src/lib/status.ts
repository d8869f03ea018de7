// A customer's status in one project, and the one table of the aliases billing tools use for them
// (Stripe's `trialing`/`active`/`canceled`), read by the ingest API, the CSV import and the filter
// alike. A Map, so a name like `__proto__` or `constructor` is just an unknown status.
export const STATUSES = ['free', 'trial', 'paid', 'churned'] as const
export type Status = (typeof STATUSES)[number]

const STATUS_NAMES = new Map<string, Status>([
  ['free', 'free'],
  ['trial', 'trial'],
  ['trialing', 'trial'],
  ['paid', 'paid'],
  ['active', 'paid'],
  ['churned', 'churned'],
  ['canceled', 'churned'],
  ['cancelled', 'churned'],
])

/** The aliases (names other than the statuses themselves), for messages. */
export const STATUS_ALIASES = [...STATUS_NAMES].filter(([name, s]) => name !== s).map(([n]) => n)

/** The status a name (any case, spaces around) stands for, or undefined. */
export function parseStatus(name: string): Status | undefined {
  return STATUS_NAMES.get(name.trim().toLowerCase())
}
