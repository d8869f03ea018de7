// The ids of an account's projects by slug, as the customers page last saw them (its summary
// statement returns the account's projects). A later page of the account writes the projects its
// filter names as their ids in its rows statement, which the planner estimates from its
// statistics, instead of a subquery by slug, whose value it cannot see when it plans (so it
// guesses: for in=app-a&in=app-b it sorted all 286,000 customers of the segment where the ids
// let it walk the activity index, 160–370 ms → 4–8 ms at 550,000 customers). Only a hint, never
// an answer: listCustomersByIds (./query.ts) checks the ids it wrote against the account's
// projects read beside them, and on any difference (a project deleted, renamed, a slug reused)
// reads the rows again by slug.

/** Every project of one account, slug → id. A slug not in it is no project of the account's. */
export type ProjectIds = ReadonlyMap<string, number>

/** Accounts remembered at most (the least recently used is forgotten first). */
const MAX_ACCOUNTS = 1_000
const known = new Map<number, ProjectIds>()

/** The account's project ids, when a page of it has seen them in this process. */
export function knownProjectIds(accountId: number): ProjectIds | undefined {
  const ids = known.get(accountId)
  if (ids) {
    // A Map keeps its insertion order: the most recently used go last.
    known.delete(accountId)
    known.set(accountId, ids)
  }
  return ids
}

/** Remembers the account's projects as a summary statement returned them (all of them), and
 *  returns them by slug. */
export function rememberProjectIds(
  accountId: number,
  projects: { id: number; slug: string }[],
): ProjectIds {
  const ids = new Map(projects.filter((p) => Number.isSafeInteger(p.id)).map((p) => [p.slug, p.id]))
  known.delete(accountId)
  known.set(accountId, ids)
  if (known.size > MAX_ACCOUNTS) known.delete(known.keys().next().value!)
  return ids
}

/** Whether each of `slugs` is the same project (or the same absence of one) in both. */
export function sameProjects(slugs: string[], used: ProjectIds, current: ProjectIds): boolean {
  return slugs.every((slug) => used.get(slug) === current.get(slug))
}
