// The customers table page: the saved views' rail, the #customers section (title and the
// segment's numbers, the filter toolbar, the table, the pager) and the drawer. Everything is a
// plain link or a GET form; htmx morphs #customers in place and pushes the same URL, so back,
// reload and a pasted URL show the same view. The rail loads its live counts after the page
// (its own request), which keeps this page at two statements.
import type { CustomerPage, ProjectInfo, Summary } from '../../src/customers/query.js'
import { readChips } from '../../src/customers/filter-chips.js'
import type { Refused } from '../ui/elements.js'
import { assetUrl, Layout } from '../ui/layout.js'
import { PageContext, type PageContextValue } from '../../src/lib/flash.js'
import { CustomerDrawer, rowDetail } from './drawer.js'
import { FilterBar } from './filters.js'
import { Results } from './results.js'
import { SegmentSummary } from './summary.js'
import { SECTION_ID, swap } from './urls.js'

export interface CustomersViewProps {
  /** The request's query, as typed: the form shows it back even when it does not parse. */
  query: URLSearchParams
  projects: ProjectInfo[]
  /** Set when the filter is wrong: shown instead of the table. */
  error?: string
  data?: CustomerPage & { summary: Summary }
  /** The customer opened with `open=<id>[.<slug>]` (its drawer renders with the page). */
  open?: { customerId: number; slug?: string }
  csrfToken?: string
  now?: Date
  /** A "Save view" refused (the redirect's flash): why, and the name typed. */
  saveRefused?: Refused
}

/** The customers pages' own stylesheet and script (the filter builder, keys, the drawer). */
export function CustomersAssets(_: unknown, page: PageContextValue) {
  const asset = assetUrl(page)
  return (
    <>
      <link rel="stylesheet" href={asset('/assets/customers.css')} />
      <script src={asset('/assets/build/customers.js')} defer></script>
    </>
  )
}

export function CustomersPage(props: CustomersViewProps & { userEmail: string }) {
  const opened = props.open && props.data?.rows.find((r) => r.id === props.open!.customerId)
  return (
    <Layout
      title="Customers"
      userEmail={props.userEmail}
      csrfToken={props.csrfToken}
      active="customers"
      wide
      head={<CustomersAssets />}
      skipTo={{ href: `#${SECTION_ID}`, label: 'Skip to customers' }}
    >
      <div class="customers-layout">
        <nav
          id="views-rail"
          class="views-rail"
          aria-label="Saved views"
          hx-get="/customers/views"
          hx-trigger="load"
          hx-swap="outerHTML"
        >
          {/* Until the rail arrives, the shape it has: on a phone its folded button (the table
              below does not move as it arrives, under a tap); without JavaScript, a link to the
              views' page of its own. */}
          <button type="button" class="rail-toggle button-chip" aria-expanded="false" disabled>
            Views
          </button>
          <p class="rail-title">Views</p>
          <p class="small rail-nojs">
            <a href="/customers/views">Saved views</a>
          </p>
        </nav>
        <CustomersSection {...props} />
      </div>
      <aside id="drawer" class="drawer" aria-label="Customer details">
        {opened ? (
          <CustomerDrawer
            customer={rowDetail(opened, props.projects)}
            query={props.query}
            focus={props.open?.slug}
            now={props.now}
          />
        ) : null}
      </aside>
    </Layout>
  )
}

export function CustomersSection(props: CustomersViewProps) {
  const { query, projects, data, error } = props
  return (
    <section id={SECTION_ID} class="customers" aria-labelledby="customers-title">
      <div class="customers-head">
        <h1 id="customers-title">Customers</h1>
        {data ? <SegmentSummary summary={data.summary} query={query} /> : null}
        <a class="head-link small" href="/imports/new">
          Import CSV
        </a>
      </div>
      {projects.length === 0 && !error ? (
        <FirstRun />
      ) : (
        <>
          <FilterBar
            query={query}
            projects={projects}
            csrfToken={props.csrfToken}
            exportable={!error}
            saveRefused={props.saveRefused}
          />
          <div class="progress" aria-hidden="true" />
          {error ? (
            <div class="notice notice-error" role="alert">
              <p>
                <strong>This filter cannot be read.</strong> {error}
              </p>
              <p>
                {/* Only a condition the parser refused is marked (a chip-unread); a bad page
                    cursor, size or sort, or an unknown product, is said in the line above. */}
                {readChips(query).some((e) => e.chip.kind === 'unread')
                  ? 'Fix or remove the filter marked above'
                  : 'Change it in the page’s address'}
                , or <a {...swap('/customers')}>clear all filters</a>. The syntax is in the README,
                “Filtering customers”.
              </p>
            </div>
          ) : data ? (
            <Results {...props} data={data} />
          ) : null}
        </>
      )}
    </section>
  )
}

function FirstRun() {
  return (
    <div class="customers-empty">
      <h2>Welcome! Two steps to your first customer</h2>
      <ol>
        <li>
          <a href="/projects">Create a project</a> per product: each gets an API key.
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

CustomersAssets.contextType = PageContext
