// The confirmation before a project is deleted: what goes with it.
import { CsrfField } from '../ui/csrf.js'
import { ProjectBadge, plural } from '../ui/elements.js'
import { Layout, type PageShell } from '../ui/layout.js'

export interface DeleteImpact {
  id: number
  name: string
  color: string
  customers: number | null
  only_here: number | null
  active_keys: number | null
}

export function DeleteProjectPage(props: PageShell & { impact: DeleteImpact }) {
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
