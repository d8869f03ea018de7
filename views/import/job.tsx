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
import { ImportShell } from './upload.js'

export interface ImportView {
  id: number
  filename: string
  projectName: string
  state: string
  header: string[]
  mapping: Mapping
  totalRows: number
  chunks: number
  nextChunk: number
  counts: Counts
  dryRun: Counts | null
  /** The first rows, raw (before mapping) or as they will be stored (after). */
  preview: { line: number; cells: string[]; stored?: Record<string, unknown>; error?: string }[]
  rejects: { line: number; reason: string }[]
}

export function ImportPage(props: {
  view: ImportView
  userEmail: string
  csrfToken?: string
  error?: string
}) {
  return (
    <ImportShell
      title={`Import ${props.view.filename}`}
      userEmail={props.userEmail}
      csrfToken={props.csrfToken}
    >
      <p class="crumbs">
        <a href="/imports/new">← New import</a>
      </p>
      <h1>
        Import of {props.view.filename} into {props.view.projectName}
      </h1>
      <p class="muted">{props.view.totalRows.toLocaleString('en')} data rows</p>
      {props.error ? (
        <p class="notice notice-error" role="alert">
          {props.error}
        </p>
      ) : null}
      <ImportState view={props.view} csrfToken={props.csrfToken} />
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

function MappingRow(props: { i: number; header: string; m: ColumnMapping; sample: string }) {
  const { i, m } = props
  return (
    <tr>
      <th scope="row">{props.header}</th>
      <td class="muted small">{props.sample}</td>
      <td>
        <select name={`target_${i}`} aria-label={`Column ${props.header} goes to`}>
          {TARGETS.map((t) => (
            <option value={t} selected={m.target === t}>
              {LABELS[t]}
            </option>
          ))}
        </select>
      </td>
      <td>
        <input
          type="text"
          name={`key_${i}`}
          value={m.key ?? props.header}
          aria-label={`Param name for ${props.header}`}
          maxLength={200}
        />
      </td>
      <td>
        <select name={`type_${i}`} aria-label={`Type of ${props.header}`}>
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

function CountsList({ counts, verb }: { counts: Counts; verb: 'would' | 'were' }) {
  const would = verb === 'would'
  return (
    <ul class="summary-statuses" data-testid="counts">
      <li>
        <strong>{counts.created.toLocaleString('en')}</strong>{' '}
        {would ? 'would be created' : 'created'}
      </li>
      <li>
        <strong>{counts.updated.toLocaleString('en')}</strong>{' '}
        {would ? 'would be updated' : 'updated'}
      </li>
      <li>
        <strong>{counts.merged.toLocaleString('en')}</strong>{' '}
        {would
          ? 'would join existing customers of other projects'
          : 'joined existing customers of other projects'}
      </li>
      <li>
        <strong>{counts.rejected.toLocaleString('en')}</strong>{' '}
        {would ? 'would be rejected' : 'rejected'}
      </li>
    </ul>
  )
}

function Rejects({ view }: { view: ImportView }) {
  if (!view.rejects.length) return null
  return (
    <div class="stack">
      <h3>Rejected rows</h3>
      <ul class="small">
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
        <progress max={view.chunks} value={view.nextChunk} data-testid="progress">
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
        <p>
          <a class="button" href="/customers">
            See the customers
          </a>
        </p>
      </section>
    )
  }
  const dry = view.state === 'dry_run_done' ? view.dryRun : null
  return (
    <section id="import-state" class="stack" data-state={view.state}>
      {dry ? (
        <div class="card stack">
          <h2>Dry run</h2>
          <CountsList counts={dry} verb="would" />
          <h3>The first rows as they will be stored</h3>
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Line</th>
                  <th scope="col">Stored as</th>
                </tr>
              </thead>
              <tbody>
                {view.preview.map((p) => (
                  <tr>
                    <td>{p.line}</td>
                    <td>
                      {p.error ? (
                        <span class="status status-churned">Rejected: {p.error}</span>
                      ) : (
                        <code class="small">{JSON.stringify(p.stored)}</code>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Rejects view={view} />
          <form method="post" action={`/imports/${view.id}/start`} class="button-row">
            <CsrfField token={csrfToken} />
            <button type="submit" class="button">
              Import {(dry.created + dry.updated + dry.merged).toLocaleString('en')} rows
            </button>
          </form>
        </div>
      ) : null}
      <form method="post" action={`/imports/${view.id}/mapping`} class="card stack">
        <CsrfField token={csrfToken} />
        <h2>{dry ? 'Change the mapping' : 'Map the columns'}</h2>
        <p class="muted small">
          Every column goes to the email (exactly one), the name, the status, a first-seen or
          last-activity date, a param of the given type, or nowhere. Empty cells leave a value as it
          is.
        </p>
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Column</th>
                <th scope="col">First value</th>
                <th scope="col">Goes to</th>
                <th scope="col">Param name</th>
                <th scope="col">Param type</th>
              </tr>
            </thead>
            <tbody>
              {view.header.map((h, i) => (
                <MappingRow
                  i={i}
                  header={h}
                  m={view.mapping[i] ?? { target: 'skip' }}
                  sample={view.preview[0]?.cells[i] ?? ''}
                />
              ))}
            </tbody>
          </table>
        </div>
        <div class="button-row">
          <button type="submit" class="button">
            {dry ? 'Run the dry run again' : 'Dry run'}
          </button>
        </div>
      </form>
    </section>
  )
}
