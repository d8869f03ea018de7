// The customers table page and its htmx fragment (#customers: the filter form, the segment's
// summary, the table and the pager). Everything is a plain link or a GET form; htmx swaps the
// fragment in place and pushes the same URL, so back, reload and a pasted URL show the same view.
import type { CustomerPage, ProjectInfo, Summary } from '../../src/customers/query.js'
import { Layout } from '../ui/layout.js'
import { ActiveFilters, FilterForm } from './filters.js'
import { Results } from './results.js'
import { SECTION_ID, exportHref, swap } from './urls.js'

export interface CustomersViewProps {
  /** The request's query, as typed: the form shows it back even when it does not parse. */
  query: URLSearchParams
  projects: ProjectInfo[]
  /** Set when the filter is wrong: shown instead of the table. */
  error?: string
  data?: CustomerPage & { summary: Summary }
  /** The badge opened with `open=<customerId>.<slug>` (its details render in place). */
  open?: { customerId: number; slug: string }
  now?: Date
}

export function CustomersPage(
  props: CustomersViewProps & { userEmail: string; csrfToken?: string },
) {
  return (
    <Layout
      title="Customers"
      userEmail={props.userEmail}
      csrfToken={props.csrfToken}
      active="customers"
    >
      <CustomersSection {...props} />
    </Layout>
  )
}

export function CustomersSection(props: CustomersViewProps) {
  const { query, projects, data, error } = props
  return (
    <section id={SECTION_ID} class="customers" aria-labelledby="customers-title">
      <div class="customers-head">
        <h1 id="customers-title">Customers</h1>
        <p class="button-row">
          <a class="button button-secondary" href={exportHref(query)} download>
            Export CSV
          </a>
          <a class="button button-secondary" href="/imports/new">
            Import CSV
          </a>
        </p>
      </div>
      {projects.length === 0 ? <FirstRun /> : <FilterForm query={query} projects={projects} />}
      <ActiveFilters query={query} />
      {error ? (
        <div class="notice notice-error" role="alert">
          <p>
            <strong>This filter cannot be read.</strong> {error}
          </p>
          <p>
            <a {...swap('/customers')}>Clear all filters</a> · the syntax is in the README,
            "Filtering customers".
          </p>
        </div>
      ) : data ? (
        <Results {...props} data={data} />
      ) : null}
    </section>
  )
}

function FirstRun() {
  return (
    <div class="empty-state">
      <h2>Welcome! Two steps to your first customer</h2>
      <ol>
        <li>
          <a href="/projects">Create a project</a> for each of your products: each one gets an API
          key.
        </li>
        <li>
          Call <code>identify</code> from that product's backend when someone signs up; the project
          page has the snippet with your key filled in.
        </li>
      </ol>
      <p class="muted">Customers appear here, one row per email, with a badge per product.</p>
    </div>
  )
}
