// CSV import, the first page: pick the project and the file. The job's own page is ./job.tsx.
import type { ComponentChildren } from 'preact'
import { Layout } from '../ui/layout.js'
import { CsrfField } from '../ui/csrf.js'

interface ProjectOption {
  id: number
  name: string
  slug: string
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
      active="projects"
    >
      <div class="stack">{props.children}</div>
    </Layout>
  )
}

export function UploadPage(props: {
  userEmail: string
  csrfToken?: string
  projects: ProjectOption[]
  projectId?: number
  error?: string
}) {
  return (
    <ImportShell title="Import customers" userEmail={props.userEmail} csrfToken={props.csrfToken}>
      <h1>Import customers from CSV</h1>
      {props.error ? (
        <p class="notice notice-error" role="alert">
          {props.error}
        </p>
      ) : null}
      <p class="notice notice-error" role="alert" data-upload-error hidden></p>
      {/* With JS, /assets/import.js sends the file itself to data-stream-upload (streamed, never
          buffered whole); without, the multipart post to /imports is the fallback. */}
      <form
        class="card stack"
        method="post"
        action="/imports"
        enctype="multipart/form-data"
        data-stream-upload="/imports/stream"
      >
        <CsrfField token={props.csrfToken} />
        <label class="field">
          <span>Into project</span>
          <select name="project" required>
            {props.projects.map((p) => (
              <option value={String(p.id)} selected={p.id === props.projectId}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>CSV file (a header row; comma, semicolon or tab separated; UTF-8)</span>
          <input type="file" name="file" accept=".csv,text/csv" required />
        </label>
        <p class="muted small">
          Nothing is written until you have mapped the columns and seen the dry run. Importing the
          same file again changes nothing.
        </p>
        <div class="button-row">
          <button type="submit" class="button">
            Upload and map columns
          </button>
          <span class="muted small" data-upload-status hidden>
            Uploading…
          </span>
        </div>
      </form>
      <script src="/assets/import.js" defer></script>
    </ImportShell>
  )
}
