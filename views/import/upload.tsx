// CSV import, the first page: pick the project and the file, and the list of past imports. The
// job's own page is ./job.tsx.
import type { ComponentChildren } from 'preact'
import type { Counts } from '../../src/csv/job.js'
import { assetUrl, Layout } from '../ui/layout.js'
import { PageContext, type PageContextValue } from '../../src/lib/flash.js'
import { CsrfField } from '../ui/csrf.js'
import { Alert, ProjectBadge, Time, invalidField, plural, type Refused } from '../ui/elements.js'

interface ProjectOption {
  id: number
  name: string
  slug: string
}

export interface PastImport {
  id: number
  filename: string
  state: string
  total_rows: number
  counts: Counts
  created_at: Date
  finished_at: Date | null
  /** An upload whose bytes stopped arriving (src/csv/retention.ts). */
  interrupted: boolean
  project_name: string
  project_color: string
}

export function ImportShell(props: {
  title: string
  userEmail: string
  csrfToken?: string
  children: ComponentChildren
}) {
  return (
    <Layout
      title={props.title}
      userEmail={props.userEmail}
      csrfToken={props.csrfToken}
      active="imports"
    >
      {props.children}
    </Layout>
  )
}

function ImportScript(_: unknown, page: PageContextValue) {
  return <script src={assetUrl(page)('/assets/import.js')} defer></script>
}
ImportScript.contextType = PageContext

export function UploadPage(props: {
  userEmail: string
  csrfToken?: string
  projects: ProjectOption[]
  projectId?: number
  imports?: PastImport[]
  /** A refused upload (the redirect's flash): why, at the project or the file field. */
  refused?: Refused
}) {
  const { refused } = props
  const at = (field: string) =>
    invalidField(refused?.field === field ? refused : undefined, 'upload-error')
  return (
    <ImportShell title="Import customers" userEmail={props.userEmail} csrfToken={props.csrfToken}>
      <header class="page-head">
        <div>
          <h1>Import customers from CSV</h1>
          <p class="muted">
            Map the columns, see a dry run, then import. Importing the same file again changes
            nothing.
          </p>
        </div>
      </header>
      <p class="alert" role="alert" data-upload-error hidden></p>
      {props.projects.length === 0 ? (
        <section class="card onboarding">
          <Alert error={refused?.message} />
          <h2>First, a project</h2>
          <p>
            An import goes into one project (one of your products).{' '}
            <a href="/projects">Create a project</a>, then come back.
          </p>
        </section>
      ) : (
        // With JS, /assets/import.js sends the file itself to data-stream-upload (streamed, never
        // buffered whole); without, the multipart post to /imports is the fallback.
        <form
          class="card stack upload-form"
          method="post"
          action="/imports"
          enctype="multipart/form-data"
          data-stream-upload="/imports/stream"
        >
          <CsrfField token={props.csrfToken} />
          <Alert error={refused?.message} id="upload-error" />
          <label class="field">
            <span>Into project</span>
            <select name="project" required {...at('project')}>
              {props.projects.map((p) => (
                <option value={String(p.id)} selected={p.id === props.projectId}>
                  {p.name} ({p.slug})
                </option>
              ))}
            </select>
          </label>
          <div class="field">
            <label for="csv-file">CSV file</label>
            <span class="dropzone">
              <input
                id="csv-file"
                type="file"
                name="file"
                accept=".csv,text/csv"
                required
                {...at('file')}
                aria-describedby={
                  refused?.field === 'file' ? 'upload-error file-hint' : 'file-hint'
                }
              />
            </span>
            <small id="file-hint" class="muted">
              A header row; comma, semicolon or tab separated; UTF-8; up to 50 MB. Drop it here or
              choose it.
            </small>
          </div>
          <div class="button-row">
            <button type="submit" class="button">
              Upload and map columns
            </button>
            <span class="muted small" data-upload-status hidden>
              Uploading…
            </span>
          </div>
        </form>
      )}
      {props.imports ? <PastImports imports={props.imports} csrfToken={props.csrfToken} /> : null}
      <ImportScript />
    </ImportShell>
  )
}

const STATES: Record<string, string> = {
  uploading: 'Still uploading',
  uploaded: 'Waiting for its mapping',
  dry_run: 'Dry run running',
  dry_run_done: 'Dry run done, not imported',
  importing: 'Importing',
  done: 'Imported',
}

function outcome(i: PastImport): string {
  if (i.state !== 'done') return ''
  const c = i.counts
  const parts = [
    `${c.created.toLocaleString('en')} created`,
    `${c.updated.toLocaleString('en')} updated`,
  ]
  if (c.unchanged) parts.push(`${c.unchanged.toLocaleString('en')} unchanged`)
  if (c.merged) parts.push(`${c.merged.toLocaleString('en')} joined`)
  if (c.rejected) parts.push(`${c.rejected.toLocaleString('en')} rejected`)
  return parts.join(' · ')
}

function PastImports({ imports, csrfToken }: { imports: PastImport[]; csrfToken?: string }) {
  return (
    <section class="card" aria-labelledby="past-imports-title">
      <h2 id="past-imports-title">Past imports</h2>
      {imports.length === 0 ? (
        <p class="empty-note">No imports yet.</p>
      ) : (
        <div class="table-wrap">
          <table class="table imports-table">
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Project</th>
                <th scope="col">Rows</th>
                <th scope="col">Result</th>
                <th scope="col">Uploaded</th>
              </tr>
            </thead>
            <tbody>
              {imports.map((i) => (
                <tr>
                  <td>
                    <a href={`/imports/${i.id}`}>{i.filename}</a>
                  </td>
                  <td>
                    <ProjectBadge name={i.project_name} color={i.project_color} />
                  </td>
                  <td class="numeric">
                    {/* Counted once the whole file is stored. */}
                    {i.state === 'uploading' ? '—' : plural(i.total_rows, 'row')}
                  </td>
                  <td>
                    {i.interrupted ? (
                      <div class="stack">
                        <span>
                          <span class="status status-churned">Upload interrupted</span>{' '}
                          <span class="muted small">{INTERRUPTED}</span>
                        </span>
                        <DiscardForm id={i.id} csrfToken={csrfToken} />
                      </div>
                    ) : (
                      <>
                        <span class={i.state === 'done' ? 'status status-active' : 'status'}>
                          {STATES[i.state] ?? i.state}
                        </span>{' '}
                        <span class="muted small">{outcome(i)}</span>
                      </>
                    )}
                  </td>
                  <td>
                    <Time date={i.created_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p class="muted small">
        Files are deleted once imported (rejected rows are kept), or after 7 days if not. An upload
        with no byte for 15 minutes shows as interrupted; remove it, or the next cleanup does.
      </p>
    </section>
  )
}

/** What an interrupted upload is, on its page and in the imports list. */
export const INTERRUPTED =
  'The file stopped arriving before its end (page closed, connection or server lost): nothing ' +
  'was imported. Remove it and upload it again.'

/** Removes an interrupted upload (and the rows of it that arrived). */
export function DiscardForm({ id, csrfToken }: { id: number; csrfToken?: string }) {
  return (
    <form method="post" action={`/imports/${id}/discard`} class="button-row">
      <CsrfField token={csrfToken} />
      <button type="submit" class="button button-secondary">
        Remove
      </button>
    </form>
  )
}
