// One project: its keys (rotate, add, revoke: each destructive one asks first), the install
// snippet, its settings, and the way to delete it. A key just created or rotated arrives as the
// redirect's flash and is shown in full this once, as does a refused rename (what was typed, and
// why under it). Its billing connections: ./billing.tsx.
import type { Project } from '../../src/db/schema.js'
import type { ProjectKey } from '../../src/projects/keys.js'
import { ConfirmAction } from '../ui/confirm.js'
import { CsrfField } from '../ui/csrf.js'
import { Alert, ProjectBadge, Time, invalidField, type Refused } from '../ui/elements.js'
import { Layout, type PageShell } from '../ui/layout.js'
import { BillingSection, type BillingSectionProps } from './billing.js'
import { ColorField } from './color-field.js'
import { CopyButton, InstallSnippet } from './install.js'

/** The name typed is already another project's. */
export interface NameTaken {
  name: string
  slug: string
  /** The name as typed, posted again by "… anyway". */
  draft: string
}

/** Says a name is taken and offers to go on: a second submit button of the same form. */
export function NameTakenWarning(props: {
  taken: NameTaken
  verb: 'Create' | 'Rename'
  id: string
}) {
  const { taken, verb } = props
  return (
    <div class="warning form-wide" role="alert" id={props.id}>
      <p>
        You already have a project named <strong>{taken.name}</strong> (slug{' '}
        <code>{taken.slug}</code>). Two projects with one name show two identical badges on a
        customer's row. Choose another name, or go ahead.
      </p>
      <button
        type="submit"
        name="duplicate"
        value="ok"
        class="button button-secondary button-small"
      >
        {verb} “{taken.draft}” anyway
      </button>
    </div>
  )
}

/** A refused create or rename (`refused`, or a name another project has: `nameTaken`): the field
 *  at fault marked, described by why, and focused. `prefix` names the form's messages. */
export function projectFormState(prefix: string, refused?: Refused, nameTaken?: NameTaken) {
  const errorId = `${prefix}-error`
  const takenId = `${prefix}-taken`
  const onName = refused?.field === 'name' || !!nameTaken
  return {
    errorId,
    takenId,
    name: invalidField(onName ? refused : undefined, nameTaken ? takenId : errorId),
    color: refused?.field === 'color' ? errorId : undefined,
    /** The message under the fields, unless the warning about the name says it. */
    error: nameTaken ? undefined : refused?.message,
  }
}

export interface ProjectPageProps extends PageShell {
  project: Project
  keys: ProjectKey[]
  /** A key just created or rotated: shown in full this once. */
  newKey?: string
  baseUrl: string
  billing: Omit<BillingSectionProps, 'projectId' | 'csrfToken'>
  /** A refused rename or recolour: why, and the name and colour typed. */
  settings?: Refused
  /** The name typed is another project's: say so and offer to rename anyway. */
  nameTaken?: NameTaken
}

export function ProjectPage(props: ProjectPageProps) {
  const { project, keys, settings } = props
  const active = keys.filter((k) => !k.revoked_at)
  const form = projectFormState('settings', settings, props.nameTaken)
  return (
    <Layout
      title={project.name}
      userEmail={props.userEmail}
      csrfToken={props.csrfToken}
      active="projects"
    >
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/projects">Projects</a> <span aria-hidden="true">/</span>{' '}
        <span aria-current="page">{project.name}</span>
      </nav>
      <header class="page-head">
        <div>
          <h1>
            <ProjectBadge name={project.name} color={project.color} />
          </h1>
          <p class="muted small">
            Slug <code>{project.slug}</code> · created <Time date={project.created_at} />
          </p>
        </div>
        <div class="button-row">
          <a
            class="button button-secondary"
            href={`/imports/new?project=${encodeURIComponent(String(project.id))}`}
          >
            Import CSV
          </a>
          <a class="button" href={`/customers?in=${encodeURIComponent(project.slug)}`}>
            View its customers
          </a>
        </div>
      </header>
      {props.newKey ? (
        <section class="card key-reveal" aria-labelledby="new-key-title">
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

      <section class="card" aria-labelledby="keys-title">
        <div class="card-head">
          <h2 id="keys-title">API keys</h2>
          <div class="button-row">
            <form method="post" action={`/projects/${project.id}/keys`}>
              <CsrfField token={props.csrfToken} />
              <input type="hidden" name="mode" value="add" />
              <button type="submit" class="button button-secondary">
                Add a key
              </button>
            </form>
            <ConfirmAction
              id="confirm-rotate"
              label="Rotate key…"
              title={`Rotate the key of ${project.name}?`}
              action={`/projects/${project.id}/keys`}
              fields={{ mode: 'rotate' }}
              confirmLabel="Rotate key"
              csrfToken={props.csrfToken}
              triggerClass="button-secondary"
            >
              <p>
                Every active key stops working at once, for a new one: apps get 403 until they use
                it.
              </p>
              <p class="muted small">
                To switch apps over one at a time instead, add a key, then revoke the old one.
              </p>
            </ConfirmAction>
          </div>
        </div>
        <p class="muted small">
          Keys only write (identify, ping, batch) into this project. Rotate replaces every active
          key at once; or add a key, move apps to it one by one, then revoke the old one.
        </p>
        <div class="table-wrap">
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
                      <ConfirmAction
                        id={`confirm-revoke-${k.id}`}
                        label="Revoke…"
                        ariaLabel={`Revoke key ${k.prefix}…`}
                        title={`Revoke the key ${k.prefix}…?`}
                        action={`/projects/${project.id}/keys/${k.id}/revoke`}
                        confirmLabel="Revoke key"
                        csrfToken={props.csrfToken}
                        small
                      >
                        <p>
                          Apps sending with this key get 403 from now on. A revoked key cannot be
                          brought back.
                        </p>
                      </ConfirmAction>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {active.length === 0 ? (
          <p class="warning">
            This project has no active key: its apps get 401/403 until you add one.
          </p>
        ) : null}
      </section>

      <InstallSnippet apiKey={props.newKey} baseUrl={props.baseUrl} />

      <BillingSection {...props.billing} projectId={project.id} csrfToken={props.csrfToken} />

      <section class="card" aria-labelledby="settings-title">
        <h2 id="settings-title">Settings</h2>
        <form method="post" action={`/projects/${project.id}`} class="inline-form">
          <CsrfField token={props.csrfToken} />
          <label class="field grow">
            <span>Name</span>
            <input
              type="text"
              name="name"
              required
              maxLength={80}
              value={settings?.draft.name ?? project.name}
              {...form.name}
            />
          </label>
          <ColorField
            value={settings?.draft.color ?? project.color}
            id="project-color"
            invalid={form.color}
          />
          <button type="submit" class="button">
            Save
          </button>
          {props.nameTaken ? (
            <NameTakenWarning taken={props.nameTaken} verb="Rename" id={form.takenId} />
          ) : null}
          <Alert error={form.error} id={form.errorId} wide />
        </form>
        <p class="muted small">
          The slug <code>{project.slug}</code> (in filters such as{' '}
          <code>/customers?in={project.slug}</code> and in the CLI) stays the same when you rename.
        </p>
      </section>

      <section class="card danger-zone" aria-labelledby="delete-title">
        <h2 id="delete-title">Delete this project</h2>
        <p>Removes the project, its keys and every customer's status and params in it.</p>
        <a class="button button-danger-quiet" href={`/projects/${project.id}/delete`}>
          Delete project…
        </a>
      </section>
    </Layout>
  )
}
