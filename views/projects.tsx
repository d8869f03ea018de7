// The projects pages: the list with the create form, one project (settings, keys, the install
// snippet), and the delete confirmation. Plain forms throughout; nothing needs JS except the
// optional copy buttons (public/assets/app.js).
import type { Project } from '../src/db/schema.js'
import type { ProjectKey } from '../src/projects/keys.js'
import { PALETTE, badgeStyle, defaultColor, normaliseColor } from '../src/projects/colors.js'
import { exactTime, relativeTime } from './ui/format.js'
import { CsrfField } from './csrf.js'
import { Layout } from './layout.js'
import { CopyButton, InstallSnippet } from './projects-install.js'

interface Shell {
  userEmail: string
  csrfToken: string | undefined
}

export interface ProjectRow {
  id: number
  name: string
  color: string
  created_at: Date
  active_keys: number | null
  customers: number | null
}

export function ProjectBadge({ name, color }: { name: string; color: string }) {
  return (
    <span class="badge" style={badgeStyle(color)}>
      {name}
    </span>
  )
}

function Time({ date }: { date: Date }) {
  return (
    <time datetime={date.toISOString()} title={exactTime(date)}>
      {relativeTime(date)}
    </time>
  )
}

function ColorField({ value, id }: { value: string; id: string }) {
  return (
    <label class="field field-color" for={id}>
      <span>Badge colour</span>
      <input
        id={id}
        type="color"
        name="color"
        value={normaliseColor(value) ?? PALETTE[0]}
        list="palette"
      />
      <datalist id="palette">
        {PALETTE.map((c) => (
          <option value={c} />
        ))}
      </datalist>
    </label>
  )
}

function Alert({ error }: { error?: string }) {
  return error ? (
    <p class="alert" role="alert">
      {error}
    </p>
  ) : null
}

export function ProjectsPage(
  props: Shell & {
    projects: ProjectRow[]
    error?: string
    draftName?: string
    draftColor?: string
  },
) {
  const nextColor = props.draftColor ?? defaultColor(props.projects.length)
  return (
    <Layout
      title="Projects"
      userEmail={props.userEmail}
      csrfToken={props.csrfToken}
      active="projects"
    >
      <div class="page-head">
        <h1>Projects</h1>
        <p class="muted">
          One project per product. Each has its own API key; customers merge by email.
        </p>
      </div>
      {props.projects.length === 0 ? (
        <section class="card empty-state">
          <h2>Welcome! Create your first project</h2>
          <ol class="steps">
            <li>Create a project for one of your products below.</li>
            <li>Copy its API key and the install snippet into that product's backend.</li>
            <li>
              Call <code>identify</code> when a user signs up or logs in: the customer shows up in{' '}
              <a href="/customers">Customers</a>.
            </li>
          </ol>
        </section>
      ) : (
        <ul class="project-list" aria-label="Your projects">
          {props.projects.map((p) => (
            <li class="card project-item">
              <a href={`/projects/${p.id}`} class="project-link">
                <ProjectBadge name={p.name} color={p.color} />
              </a>
              <span class="muted small">
                {plural(Number(p.customers ?? 0), 'customer')} ·{' '}
                {plural(Number(p.active_keys ?? 0), 'active key')} · created{' '}
                <Time date={p.created_at} />
              </span>
              <a href={`/projects/${p.id}`} class="button button-secondary button-small">
                Settings &amp; keys
              </a>
            </li>
          ))}
        </ul>
      )}
      <section class="card">
        <h2>New project</h2>
        <Alert error={props.error} />
        <form method="post" action="/projects" class="inline-form">
          <CsrfField token={props.csrfToken} />
          <label class="field grow">
            <span>Name</span>
            <input
              type="text"
              name="name"
              required
              maxLength={80}
              placeholder="e.g. Invoice Bot"
              value={props.draftName ?? ''}
            />
          </label>
          <ColorField value={nextColor} id="new-project-color" />
          <button type="submit" class="button">
            Create project
          </button>
        </form>
      </section>
    </Layout>
  )
}

export function plural(n: number, word: string) {
  return `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`
}

export interface ProjectPageProps extends Shell {
  project: Project
  keys: ProjectKey[]
  /** A key just created or rotated: shown in full this once. */
  newKey?: string
  baseUrl: string
  error?: string
  notice?: string
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

export interface DeleteImpact {
  id: number
  name: string
  color: string
  customers: number | null
  only_here: number | null
  active_keys: number | null
}

export function DeleteProjectPage(props: Shell & { impact: DeleteImpact }) {
  const { impact } = props
  const customers = Number(impact.customers ?? 0)
  const onlyHere = Number(impact.only_here ?? 0)
  const keys = Number(impact.active_keys ?? 0)
  return (
    <Layout
      title={`Delete ${impact.name}`}
      userEmail={props.userEmail}
      csrfToken={props.csrfToken}
      active="projects"
    >
      <section class="card narrow danger-zone">
        <h1>
          Delete <ProjectBadge name={impact.name} color={impact.color} />?
        </h1>
        <p>This cannot be undone. Deleting it permanently removes:</p>
        <ul>
          <li>
            the status, params, first-seen and last-active dates of{' '}
            <strong>{plural(customers, 'customer')}</strong> in this project;
          </li>
          <li>
            <strong>{plural(onlyHere, 'customer')}</strong> entirely, because they are in no other
            project;
          </li>
          <li>
            <strong>{plural(keys, 'active API key')}</strong>: apps still sending with them get 401.
          </li>
        </ul>
        <p class="muted small">
          Customers who are also in other projects keep those projects' data.
        </p>
        <div class="button-row">
          <form method="post" action={`/projects/${impact.id}/delete`}>
            <CsrfField token={props.csrfToken} />
            <button type="submit" class="button button-danger">
              Delete {impact.name} for good
            </button>
          </form>
          <a class="button button-secondary" href={`/projects/${impact.id}`}>
            Cancel
          </a>
        </div>
      </section>
    </Layout>
  )
}
