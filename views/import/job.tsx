// One import's page, whose state section changes as the job goes: column mapping → dry run
// (progress) → results with preview and rejects → import (progress) → done. While a job runs, the
// section polls /imports/:id/progress every second and each poll both advances the job and
// returns the section anew (htmx outerHTML swap).
import type { Counts } from '../../src/csv/job.js'
import type { Mapping } from '../../src/csv/mapping.js'
import type { ImportPreview } from '../../src/csv/preview.js'
import { CsrfField } from '../ui/csrf.js'
import { ProjectBadge, plural, type Refused } from '../ui/elements.js'
import { MappingForm } from './mapping.js'
import { CountsList, Preview, Rejects } from './results.js'
import { DiscardForm, ImportShell, INTERRUPTED } from './upload.js'

export interface ImportView {
  id: number
  filename: string
  project: { name: string; slug: string; color: string }
  state: string
  /** An upload whose bytes stopped arriving (src/csv/retention.ts). */
  interrupted: boolean
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
  /** A mapping refused (the redirect's flash): why, at the form. */
  refused?: Refused
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
      <ImportState view={view} csrfToken={props.csrfToken} refused={props.refused} />
    </ImportShell>
  )
}

/** The part of the page that changes with the job's state (also the polled fragment). */
export function ImportState(props: { view: ImportView; csrfToken?: string; refused?: Refused }) {
  const { view, csrfToken } = props
  if (view.state === 'uploading') {
    return view.interrupted ? (
      <section id="import-state" class="card stack" data-state="interrupted">
        <h2>Upload interrupted</h2>
        <p>{INTERRUPTED}</p>
        <DiscardForm id={view.id} csrfToken={csrfToken} />
      </section>
    ) : (
      <section id="import-state" class="card stack" data-state="uploading">
        <h2>Still uploading</h2>
        <p>
          This file is still arriving. Once stored, the upload page comes here to map its columns.
        </p>
      </section>
    )
  }
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
        <p class="muted small">
          Keep this page open: each refresh {view.state === 'dry_run' ? 'checks' : 'imports'} the
          next rows.
        </p>
      </section>
    )
  }
  if (view.state === 'done') {
    return (
      <section id="import-state" class="card stack" data-state="done">
        <h2>Import finished</h2>
        <CountsList counts={view.counts} verb="were" />
        <Rejects id={view.id} rejects={view.rejects} />
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
          <Rejects id={view.id} rejects={view.rejects} />
          {changes ? (
            <form method="post" action={`/imports/${view.id}/start`} class="button-row">
              <CsrfField token={csrfToken} />
              <button type="submit" class="button">
                Import {plural(changes, 'row')}
              </button>
            </form>
          ) : (
            <p class="notice-quiet">
              {dry.unchanged
                ? 'Nothing to import: every valid row is already in TinyCRM as the file has it.'
                : 'Nothing to import: every row is rejected (the reasons are above).'}
            </p>
          )}
        </div>
      ) : null}
      <MappingForm
        id={view.id}
        header={view.header}
        mapping={view.mapping}
        firstValues={view.firstValues}
        suggestedKeys={view.suggestedKeys}
        again={Boolean(dry)}
        csrfToken={csrfToken}
        refused={props.refused}
      />
    </section>
  )
}
