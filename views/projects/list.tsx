// The projects list, with the form that creates one. A refused create comes back (after the
// redirect of src/projects/routes.tsx) with what was typed and why under the fields, or the warning
// that the name is taken, which offers to create it anyway.
import { defaultColor } from '../../src/projects/colors.js'
import { CsrfField } from '../ui/csrf.js'
import { Alert, ProjectBadge, Time, plural, type Refused } from '../ui/elements.js'
import { Layout, type PageShell } from '../ui/layout.js'
import { ColorField } from './color-field.js'
import { NameTakenWarning, projectFormState, type NameTaken } from './project.js'

export interface ProjectRow {
  id: number
  name: string
  slug: string
  color: string
  created_at: Date
  active_keys: number | null
  customers: number | null
}

export function ProjectsPage(
  props: PageShell & {
    projects: ProjectRow[]
    /** A refused create: why, and the name and colour typed. */
    refused?: Refused
    /** The name typed is another project's: say so and offer to create it anyway. */
    nameTaken?: NameTaken
  },
) {
  const { refused } = props
  const nextColor = refused?.draft.color ?? defaultColor(props.projects.length)
  const form = projectFormState('new-project', refused, props.nameTaken)
  return (
    <Layout
      title="Projects"
      userEmail={props.userEmail}
      csrfToken={props.csrfToken}
      active="projects"
    >
      <header class="page-head">
        <div>
          <h1>Projects</h1>
          <p class="muted">
            One project per product. Each has its own API key; customers merge by email.
          </p>
        </div>
      </header>
      {props.projects.length === 0 ? (
        <section class="card onboarding" aria-labelledby="welcome-title">
          <h2 id="welcome-title">Welcome! Create your first project</h2>
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
        <ul class="project-list card" aria-label="Your projects">
          {props.projects.map((p) => (
            <li class="project-item">
              <a href={`/projects/${p.id}`} class="project-link">
                <ProjectBadge name={p.name} color={p.color} />
              </a>
              <code class="project-slug" title="Slug: used in filters and by the CLI">
                {p.slug}
              </code>
              <span class="muted small project-facts">
                {plural(Number(p.customers ?? 0), 'customer')} ·{' '}
                {plural(Number(p.active_keys ?? 0), 'active key')} · created{' '}
                <Time date={p.created_at} />
              </span>
              <a
                href={`/projects/${p.id}`}
                class="button button-secondary button-small"
                aria-label={`Settings & keys of ${p.name}`}
              >
                Settings &amp; keys
              </a>
            </li>
          ))}
        </ul>
      )}
      <section class="card" aria-labelledby="new-project-title">
        <h2 id="new-project-title">New project</h2>
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
              value={refused?.draft.name ?? ''}
              {...form.name}
            />
          </label>
          <ColorField value={nextColor} id="new-project-color" invalid={form.color} />
          <button type="submit" class="button">
            Create project
          </button>
          {props.nameTaken ? (
            <NameTakenWarning taken={props.nameTaken} verb="Create" id={form.takenId} />
          ) : null}
          <Alert error={form.error} id={form.errorId} wide />
        </form>
      </section>
    </Layout>
  )
}
