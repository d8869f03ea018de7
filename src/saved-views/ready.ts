// The ready views: the README's questions ("The 14 questions, as URLs") as saved views, written
// with the account's first two projects — {a} and {b} their slugs, {A} and {B} their names. Added
// once, when an account creates its second project; "Add the ready views" adds them again.
// Question 14 (part of an email or name) is the search box, not a view; question 11's trials end
// within the next 7 days (+0d,+7d, written %2B in a URL), so the view never goes stale.
export const READY_VIEWS: { question: number; name: string; query: string }[] = [
  { question: 1, name: 'Uses {A}', query: 'in={a}' },
  { question: 2, name: 'Paid on {B}', query: 'in={b}:paid' },
  { question: 3, name: 'Uses {A} and {B}', query: 'in={a}&in={b}' },
  { question: 3, name: 'In 2+ products', query: 'min_projects=2' },
  { question: 4, name: '{A} but not {B} (cross-sell)', query: 'in={a}&not_in={b}' },
  { question: 5, name: 'Free on {A}, paid on {B} (upsell)', query: 'in={a}:free&in={b}:paid' },
  { question: 6, name: 'Trials', query: 'status=trial' },
  { question: 7, name: 'Inactive 30+ days', query: 'inactive=30&sort=last_activity' },
  {
    question: 8,
    name: 'Free for 14+ days, never paid',
    query: 'seen_before=14d&status=free&not_status=paid,trial',
  },
  { question: 9, name: 'From Product Hunt', query: 'p=source:eq:producthunt' },
  { question: 10, name: 'Pro, with their MRR', query: 'p=plan:eq:pro&sum=mrr' },
  { question: 11, name: 'Trials ending in 7 days', query: 'p=trial_ends:between:%2B0d,%2B7d' },
  {
    question: 12,
    name: 'Churned on {A}, still on {B}',
    query: 'in={a}:churned&in={b}:free,trial,paid',
  },
  { question: 13, name: 'Admins', query: 'p=role:eq:admin' },
  { question: 13, name: 'Beta users', query: 'p=beta:eq:true' },
]

/** The ready views with the account's two projects filled in. Two projects of one name (the CLI
 *  names a second "App A" app-a-2; the dashboard after a confirmation) are told apart by their
 *  slugs, "App A (app-a) but not App A (app-a-2)", rather than "App A but not App A". */
export function readyViews(a: { slug: string; name: string }, b: { slug: string; name: string }) {
  // As the projects' own check (sameProjectName): trimmed, in any case.
  const sameName = a.name.trim().toLowerCase() === b.name.trim().toLowerCase()
  const label = (p: { slug: string; name: string }) => (sameName ? `${p.name} (${p.slug})` : p.name)
  const fill = (s: string) =>
    s
      .replaceAll('{a}', a.slug)
      .replaceAll('{b}', b.slug)
      .replaceAll('{A}', label(a))
      .replaceAll('{B}', label(b))
  // Queries as URLs write them: a + is %2B (a bare + reads as a space). Slugs need no escaping.
  return READY_VIEWS.map((v) => ({ name: fill(v.name), query: fill(v.query) }))
}
