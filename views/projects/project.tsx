// One project: its settings, its keys (rotate, add, revoke), the install snippet, with a new key
// shown in full once, and its billing connections (./billing.tsx).
import type { Project } from '../../src/db/schema.js'
import type { ProjectKey } from '../../src/projects/keys.js'
import { CsrfField } from '../ui/csrf.js'
import { Alert, ProjectBadge, Time } from '../ui/elements.js'
import { Layout, type PageShell } from '../ui/layout.js'
import { BillingSection, type BillingSectionProps } from './billing.js'
import { ColorField } from './color-field.js'
import { CopyButton, InstallSnippet } from './install.js'

export interface ProjectPageProps extends PageShell {
  project: Project
  keys: ProjectKey[]
  /** A key just created or rotated: shown in full this once. */
  newKey?: string
  baseUrl: string
  error?: string
  notice?: string
  billing: Omit<BillingSectionProps, 'projectId' | 'csrfToken'>
}

export function ProjectPage(props: ProjectPageProps) {
  const { project, keys } = props
  const active = keys.filter((k) => !k.revoked_at)
  return (
    <Layout
      title={project.name}
      userEmail={props.userEmail}
      csrfToken={props.csrfToken}
      active="projects"
    >
      <p class="breadcrumb">
        <a href="/projects">Projects</a> /
      </p>
      <div class="page-head">
        <h1>
          <ProjectBadge name={project.name} color={project.color} />
        </h1>
        <a
          class="button button-secondary button-small"
          href={`/customers?in=${encodeURIComponent(project.slug)}`}
        >
          View its customers
        </a>
      </div>
      <Alert error={props.error} />
      {props.notice ? (
        <p class="notice" role="status">
          {props.notice}
        </p>
      ) : null}
      {props.newKey ? (
        <section class="card key-reveal" role="status" aria-labelledby="new-key-title">
          <h2 id="new-key-title">Your new API key</h2>
          <p>Copy it now: it is shown only this once. TinyCRM keeps only a hash of it.</p>
          <div class="copy-row">
            <code id="new-key" class="key-value" data-testid="new-key">
              {props.newKey}
            </code>
            <CopyButton target="new-key" />
          </div>
        </section>
      ) : null}

      <InstallSnippet apiKey={props.newKey} baseUrl={props.baseUrl} />

      <section class="card">
        <h2>API keys</h2>
        <p class="muted small">
          Keys can only write (identify, ping, batch) into this project. Rotate to replace every
          active key at once; add a key to switch apps over one at a time, then revoke the old one.
        </p>
        <table class="table keys-table">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Created</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                <td>
                  <Time date={k.created_at} />
                </td>
                <td>
                  {k.revoked_at ? (
                    <span class="status status-revoked">
                      Revoked <Time date={k.revoked_at} />
                    </span>
                  ) : (
                    <span class="status status-active">Active</span>
                  )}
                </td>
                <td class="actions">
                  {k.revoked_at ? null : (
                    <form method="post" action={`/projects/${project.id}/keys/${k.id}/revoke`}>
                      <CsrfField token={props.csrfToken} />
                      <button
                        type="submit"
                        class="button button-danger button-small"
                        aria-label={`Revoke key ${k.prefix}`}
                      >
                        Revoke
                      </button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {active.length === 0 ? (
          <p class="notice">
            This project has no active key: its apps get 401/403 until you add one.
          </p>
        ) : null}
        <div class="button-row">
          <form method="post" action={`/projects/${project.id}/keys`}>
            <CsrfField token={props.csrfToken} />
            <input type="hidden" name="mode" value="rotate" />
            <button type="submit" class="button">
              Rotate key
            </button>
          </form>
          <form method="post" action={`/projects/${project.id}/keys`}>
            <CsrfField token={props.csrfToken} />
            <input type="hidden" name="mode" value="add" />
            <button type="submit" class="button button-secondary">
              Add a key (keep the others)
            </button>
          </form>
        </div>
      </section>

      <BillingSection {...props.billing} projectId={project.id} csrfToken={props.csrfToken} />

      <section class="card">
        <h2>Settings</h2>
        <form method="post" action={`/projects/${project.id}`} class="inline-form">
          <CsrfField token={props.csrfToken} />
          <label class="field grow">
            <span>Name</span>
            <input type="text" name="name" required maxLength={80} value={project.name} />
          </label>
          <ColorField value={project.color} id="project-color" />
          <button type="submit" class="button">
            Save
          </button>
        </form>
        <p class="muted small">
          Slug <code>{project.slug}</code> (used by the CLI) stays the same when you rename.
        </p>
      </section>

      <section class="card danger-zone">
        <h2>Delete this project</h2>
        <p>Removes the project, its keys and every customer's status and params in it.</p>
        <a class="button button-danger" href={`/projects/${project.id}/delete`}>
          Delete project…
        </a>
      </section>
    </Layout>
  )
}
