// The confirmation before a project is deleted: what goes with it, and (when it has customers)
// its name typed, as deleting a customer asks for the email.
import { CsrfField } from '../ui/csrf.js'
import { Alert, ProjectBadge, TypeToConfirm, plural, type Refused } from '../ui/elements.js'
import { Layout, type PageShell } from '../ui/layout.js'

export interface DeleteImpact {
  id: number
  name: string
  color: string
  customers: number | null
  only_here: number | null
  active_keys: number | null
}

export function DeleteProjectPage(props: PageShell & { impact: DeleteImpact; refused?: Refused }) {
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
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/projects">Projects</a> <span aria-hidden="true">/</span>{' '}
        <a href={`/projects/${impact.id}`}>{impact.name}</a> <span aria-hidden="true">/</span>{' '}
        <span aria-current="page">Delete</span>
      </nav>
      <section class="card narrow danger-zone" aria-labelledby="delete-title">
        <h1 id="delete-title">
          Delete <ProjectBadge name={impact.name} color={impact.color} />?
        </h1>
        <p>This cannot be undone. Deleting it permanently removes:</p>
        <ul class="impact">
          <li>
            the status, params, first-seen and last-active dates of{' '}
            <strong>{plural(customers, 'customer')}</strong> in this project;
          </li>
          {onlyHere > 0 ? (
            <li>
              <strong>{plural(onlyHere, 'customer')}</strong> entirely, because they are in no other
              project;
            </li>
          ) : null}
          <li>
            <strong>{plural(keys, 'active API key')}</strong>
            {keys === 0 ? '.' : `: apps still sending with ${keys === 1 ? 'it' : 'them'} get 401.`}
          </li>
        </ul>
        <p class="muted small">
          Customers who are also in other projects keep those projects' data.
        </p>
        <form method="post" action={`/projects/${impact.id}/delete`} class="stack">
          <CsrfField token={props.csrfToken} />
          {customers > 0 ? (
            <TypeToConfirm
              expected={impact.name}
              refused={props.refused}
              messageId="delete-error"
            />
          ) : null}
          <Alert error={props.refused?.message} id="delete-error" />
          <div class="button-row">
            <button type="submit" class="button button-danger">
              Delete {impact.name} for good
            </button>
            <a class="button button-secondary" href={`/projects/${impact.id}`}>
              Cancel
            </a>
          </div>
        </form>
      </section>
    </Layout>
  )
}
