// The customer page's history: each change of a status or a param, newest first, read as
// "FormBox: trial → paid, 3 Mar 2026, Stripe" (src/customers/history.ts reads it).
import type { RelationChange } from '../../src/customers/history.js'
import { exactTime } from '../ui/format.js'

const SOURCE_NAMES: Record<string, string> = {
  api: 'API',
  segment: 'Segment',
  import: 'CSV import',
  stripe: 'Stripe',
  paddle: 'Paddle',
  merge: 'Merge',
  undo: 'Undo of a merge',
  dashboard: 'Dashboard',
}

const day = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  timeZone: 'UTC',
})

/** A value as the history shows it: a long one cut (its whole text on hover); the params table
 *  above has it in full. */
function shown(value: unknown) {
  if (value === null || value === undefined) return '—'
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  if (text.length <= LONGEST_SHOWN) return text
  return <span title={text}>{text.slice(0, LONGEST_SHOWN)}…</span>
}
const LONGEST_SHOWN = 200

function What({ change }: { change: RelationChange }) {
  const field = change.field === 'status' ? null : <code>{change.key}</code>
  if (change.from === null && change.field === 'status') {
    return <>started as {shown(change.to)}</>
  }
  if (change.to === null) {
    return (
      <>
        {field} removed (was {shown(change.from)})
      </>
    )
  }
  return (
    <>
      {field}
      {field ? ': ' : null}
      {change.from === null ? 'set to ' : `${shown(change.from)} → `}
      {shown(change.to)}
    </>
  )
}

export function CustomerHistory({ changes }: { changes: RelationChange[] }) {
  return (
    <section class="card customer-history" aria-labelledby="h-history">
      <h2 id="h-history">History</h2>
      {changes.length === 0 ? (
        <p class="muted small">No changes recorded yet.</p>
      ) : (
        <ol class="history-list">
          {changes.map((c) => (
            <li data-field={c.field} data-source={c.source}>
              <strong>{c.project.name}</strong>: <What change={c} />,{' '}
              <time datetime={c.changedAt.toISOString()} title={exactTime(c.changedAt)}>
                {day.format(c.changedAt)}
              </time>
              , {SOURCE_NAMES[c.source] ?? c.source}
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}
