// What an import's dry run and import found: the outcome counts, the rejected rows and the
// preview of the first rows as they will be stored.
import type { Counts } from '../../src/csv/job.js'
import type { ImportPreview } from '../../src/csv/preview.js'

const OUTCOMES: { key: keyof Counts; would: string; were: string; tone: string }[] = [
  { key: 'created', would: 'would be created', were: 'created', tone: 'ok' },
  { key: 'updated', would: 'would be updated', were: 'updated', tone: 'info' },
  { key: 'unchanged', would: 'unchanged', were: 'unchanged', tone: 'neutral' },
  {
    key: 'merged',
    would: 'would join customers of other projects',
    were: 'joined customers of other projects',
    tone: 'info',
  },
  { key: 'rejected', would: 'would be rejected', were: 'rejected', tone: 'danger' },
]

/** The outcome counts as a row of tiles: the number large, what it means beneath. */
export function CountsList({ counts, verb }: { counts: Counts; verb: 'would' | 'were' }) {
  return (
    <ul class="stat-grid" data-testid="counts">
      {OUTCOMES.map((o) => (
        <li class={`stat stat-${o.tone}${counts[o.key] ? '' : ' stat-zero'}`}>
          <strong>{counts[o.key].toLocaleString('en')}</strong>{' '}
          <span>{verb === 'would' ? o.would : o.were}</span>
        </li>
      ))}
    </ul>
  )
}

export function Rejects(props: { id: number; rejects: { line: number; reason: string }[] }) {
  if (!props.rejects.length) return null
  return (
    <div class="stack">
      <h3>Rejected rows</h3>
      <ul class="reject-list small">
        {props.rejects.map((r) => (
          <li>
            Line {r.line}: {r.reason}
          </li>
        ))}
      </ul>
      <p>
        <a class="button button-secondary" href={`/imports/${props.id}/rejects.csv`} download>
          Download all rejected rows (CSV)
        </a>
      </p>
    </div>
  )
}

/** The first rows as a table of the mapped columns, as they will be stored. */
export function Preview({ preview }: { preview: ImportPreview }) {
  return (
    <div class="stack">
      <h3>The first rows as they will be stored</h3>
      {/* Focusable: a wide preview scrolls sideways, with the keyboard too. */}
      <div class="table-wrap" tabIndex={0} role="region" aria-label="Preview of the first rows">
        <table class="table preview-table">
          <thead>
            <tr>
              <th scope="col">Line</th>
              {preview.columns.map((col) => (
                <th scope="col">
                  {col.label}
                  {col.hint ? <span class="column-hint"> {col.hint}</span> : null}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {preview.rows.map((row) => (
              <tr class={row.error ? 'row-rejected' : undefined}>
                <td class="muted">{row.line}</td>
                {row.error ? (
                  <td colSpan={preview.columns.length}>
                    <span class="status status-churned">Rejected</span> {row.error}
                  </td>
                ) : (
                  row.cells!.map((cell) => (
                    <td title={cell || undefined}>
                      {cell === '' ? <span class="muted">—</span> : cell}
                    </td>
                  ))
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {/* The legend of the dash, where there is one (beside a rejected row it read as its reason). */}
      {preview.rows.some((row) => row.cells?.includes('')) ? (
        <p class="muted small">A cell shown as — is empty: the value stored stays as it is.</p>
      ) : null}
    </div>
  )
}
