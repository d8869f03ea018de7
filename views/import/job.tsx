// One import's page, whose state section changes as the job goes: column mapping → dry run
// (progress) → results with preview and rejects → import (progress) → done. While a job runs, the
// section polls /imports/:id/progress every second and each poll both advances the job and
// returns the section anew (htmx outerHTML swap).
import type { Counts } from '../../src/csv/job.js'
import {
  PARAM_TYPES,
  TARGETS,
  type ColumnMapping,
  type Mapping,
  type Target,
} from '../../src/csv/mapping.js'
import { CsrfField } from '../ui/csrf.js'
import { Alert, ProjectBadge, plural } from '../ui/elements.js'
import { ImportShell } from './upload.js'

/** The first rows as they will be stored: one column per mapped column (params by their key). */
export interface ImportPreview {
  columns: { label: string; /** A param's type. */ hint: string }[]
  rows: { line: number; cells?: string[]; error?: string }[]
}

export interface ImportView {
  id: number
  filename: string
  project: { name: string; slug: string; color: string }
  state: string
  header: string[]
  mapping: Mapping
  /** Per column, the param name its header suggests (`MRR (USD)` → `mrr_usd`). */
  suggestedKeys: string[]
  /** Per column, its value in the first data row. */
  firstValues: string[]
  totalRows: number
  chunks: number
  nextChunk: number
  counts: Counts
  dryRun: Counts | null
  /** Once a mapping is set. */
  preview?: ImportPreview
  rejects: { line: number; reason: string }[]
}

export function ImportPage(props: {
  view: ImportView
  userEmail: string
  csrfToken?: string
  error?: string
}) {
  const { view } = props
  return (
    <ImportShell
      title={`Import ${view.filename}`}
      userEmail={props.userEmail}
      csrfToken={props.csrfToken}
    >
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/imports/new">Imports</a> <span aria-hidden="true">/</span>{' '}
        <span aria-current="page">{view.filename}</span>
      </nav>
      <header class="page-head">
        <div>
          <h1>Import {view.filename}</h1>
          <p class="muted">
            Into <ProjectBadge name={view.project.name} color={view.project.color} /> ·{' '}
            {plural(view.totalRows, 'data row')}
          </p>
        </div>
      </header>
      <Alert error={props.error} />
      <ImportState view={view} csrfToken={props.csrfToken} />
    </ImportShell>
  )
}

const LABELS: Record<Target, string> = {
  skip: 'Skip',
  email: 'Email',
  name: 'Name',
  status: 'Status',
  first_seen: 'First seen (date)',
  last_activity: 'Last activity (date)',
  param: 'Param',
}

function MappingRow(props: {
  i: number
  header: string
  m: ColumnMapping
  sample: string
  suggestedKey: string
}) {
  const { i, m, header } = props
  return (
    <tr class="mapping-row">
      <th scope="row" data-label="Column">
        {header}
      </th>
      <td class="mapping-sample" data-label="First value">
        {props.sample ? <span>{props.sample}</span> : <span class="muted">empty</span>}
      </td>
      <td data-label="Goes to">
        <select name={`target_${i}`} aria-label={`Column ${header} goes to`}>
          {TARGETS.map((t) => (
            <option value={t} selected={m.target === t}>
              {LABELS[t]}
            </option>
          ))}
        </select>
      </td>
      <td class="param-only" data-label="Param name">
        <input
          type="text"
          name={`key_${i}`}
          value={m.key ?? props.suggestedKey}
          aria-label={`Param name for ${header}`}
          maxLength={200}
          spellcheck={false}
        />
      </td>
      <td class="param-only" data-label="Type">
        <select name={`type_${i}`} aria-label={`Type of ${header}`}>
          {PARAM_TYPES.map((t) => (
            <option value={t} selected={(m.type ?? 'text') === t}>
              {t}
            </option>
          ))}
        </select>
      </td>
    </tr>
  )
}

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
function CountsList({ counts, verb }: { counts: Counts; verb: 'would' | 'were' }) {
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

function Rejects({ view }: { view: ImportView }) {
  if (!view.rejects.length) return null
  return (
    <div class="stack">
      <h3>Rejected rows</h3>
      <ul class="reject-list small">
        {view.rejects.map((r) => (
          <li>
            Line {r.line}: {r.reason}
          </li>
        ))}
      </ul>
      <p>
        <a class="button button-secondary" href={`/imports/${view.id}/rejects.csv`} download>
          Download all rejected rows (CSV)
        </a>
      </p>
    </div>
  )
}

/** The first rows as a table of the mapped columns, as they will be stored. */
function Preview({ preview }: { preview: ImportPreview }) {
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
      <p class="muted small">— an empty cell: the value stored stays as it is.</p>
    </div>
  )
}

/** The part of the page that changes with the job's state (also the polled fragment). */
export function ImportState({ view, csrfToken }: { view: ImportView; csrfToken?: string }) {
  const running = view.state === 'dry_run' || view.state === 'importing'
  if (running) {
    const done = Math.min(view.totalRows, view.nextChunk * 1000)
    return (
      <section
        id="import-state"
        class="card stack"
        hx-get={`/imports/${view.id}/progress`}
        hx-trigger="every 1s"
        hx-swap="outerHTML"
        aria-live="polite"
      >
        <h2>{view.state === 'dry_run' ? 'Dry run: checking every row…' : 'Importing…'}</h2>
        <progress
          max={view.chunks}
          value={view.nextChunk}
          data-testid="progress"
          aria-label="Rows done"
        >
          {view.nextChunk} of {view.chunks}
        </progress>
        <p data-testid="progress-text">
          {done.toLocaleString('en')} of {view.totalRows.toLocaleString('en')} rows
        </p>
        <p class="muted small">Keep this page open: each refresh imports the next rows.</p>
      </section>
    )
  }
  if (view.state === 'done') {
    return (
      <section id="import-state" class="card stack" data-state="done">
        <h2>Import finished</h2>
        <CountsList counts={view.counts} verb="were" />
        <Rejects view={view} />
        <p class="button-row">
          <a class="button" href={`/customers?in=${encodeURIComponent(view.project.slug)}`}>
            See the customers of {view.project.name}
          </a>
          <a class="button button-secondary" href="/imports/new">
            Import another file
          </a>
        </p>
      </section>
    )
  }
  const dry = view.state === 'dry_run_done' ? view.dryRun : null
  const changes = dry ? dry.created + dry.updated + dry.merged : 0
  return (
    <section id="import-state" class="stack" data-state={view.state}>
      {dry ? (
        <div class="card stack">
          <h2>Dry run</h2>
          <CountsList counts={dry} verb="would" />
          {view.preview ? <Preview preview={view.preview} /> : null}
          <Rejects view={view} />
          {changes ? (
            <form method="post" action={`/imports/${view.id}/start`} class="button-row">
              <CsrfField token={csrfToken} />
              <button type="submit" class="button">
                Import {changes.toLocaleString('en')} rows
              </button>
            </form>
          ) : (
            <p class="notice-quiet">
              Nothing to import: every valid row is already in TinyCRM as the file has it.
            </p>
          )}
        </div>
      ) : null}
      <form method="post" action={`/imports/${view.id}/mapping`} class="card stack">
        <CsrfField token={csrfToken} />
        <h2>{dry ? 'Change the mapping' : 'Map the columns'}</h2>
        <p class="muted small">
          Every column goes to the email (exactly one), the name, the status, a first-seen or
          last-activity date, a param of the given type, or nowhere. Empty cells leave a value as it
          is. Nothing is written until you import.
        </p>
        <div class="table-wrap mapping-wrap">
          <table class="table mapping-table">
            <thead>
              <tr>
                <th scope="col">Column</th>
                <th scope="col">First value</th>
                <th scope="col">Goes to</th>
                <th scope="col">Param name</th>
                <th scope="col">Type</th>
              </tr>
            </thead>
            <tbody>
              {view.header.map((h, i) => (
                <MappingRow
                  i={i}
                  header={h}
                  m={view.mapping[i] ?? { target: 'skip' }}
                  sample={view.firstValues[i] ?? ''}
                  suggestedKey={view.suggestedKeys[i] ?? ''}
                />
              ))}
            </tbody>
          </table>
        </div>
        <div class="button-row">
          <button type="submit" class={dry ? 'button button-secondary' : 'button'}>
            {dry ? 'Run the dry run again' : 'Dry run'}
          </button>
        </div>
      </form>
    </section>
  )
}
