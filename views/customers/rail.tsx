// The saved views' rail beside the customers table: every view with its live count, the one
// showing marked, each with a menu to rename it, move it up or down or delete it (after asking). The same list is a page of
// its own (/customers/views) for a browser without JavaScript. An account of more than 100,000
// customers gets no counts (src/saved-views/counts.ts): "All customers" says 100,000+.
import type { ViewCount } from '../../src/saved-views/counts.js'
import { MAX_VIEW_NAME, type SavedView } from '../../src/saved-views/store.js'
import { ConfirmAction } from '../ui/confirm.js'
import { CsrfField } from '../ui/csrf.js'
import { Layout } from '../ui/layout.js'
import { CustomersAssets } from './page.js'
import { swap } from './urls.js'

export interface RailProps {
  views: SavedView[]
  counts: Map<number, ViewCount>
  /** Everyone's count (the "All customers" entry); null past `countedUpTo` (not counted). */
  total: number | null
  /** Accounts of up to this many customers have their views counted (100,000). */
  countedUpTo: number
  /** The table's current query (canonical), to mark the view it shows. */
  current?: string
  /** Whether the ready views can be added (two projects or more). */
  canAddReady: boolean
  csrfToken?: string
  /** Why the last change was refused (a rename to a name in use…). */
  error?: string
  /** A refused rename: that view's menu open again, its field holding what was typed, focused. */
  renaming?: { id: number; name: string }
}

const number = new Intl.NumberFormat('en')

export function ViewsRail(props: RailProps) {
  const showing =
    props.current === ''
      ? 'All customers'
      : props.views.find((v) => v.query === props.current)?.name
  return (
    <nav id="views-rail" class="views-rail" aria-label="Saved views">
      {/* Narrower than the table and rail side by side (a phone), the rail sits above the table
          folded behind this button, which names the view shown (./browser/main.ts keeps it). */}
      <button
        type="button"
        class="rail-toggle button-chip"
        aria-expanded="false"
        aria-controls="rail-views"
      >
        Views<span class="rail-toggle-current">{showing ? `: ${showing}` : ''}</span>
      </button>
      <RailList {...props} />
    </nav>
  )
}

/** The list of views. `plain` on the views page of its own: there is no table to swap and no rail
 *  to redraw, so its links and forms are plain ones (a page load, a Post/Redirect/Get). */
function RailList(props: RailProps & { plain?: boolean }) {
  const { views, counts, current, plain } = props
  const link = (href: string) => (plain ? { href } : swap(href))
  const csrf = props.csrfToken
  // With the table beside it the rail is one Tab stop: the view shown (else the first) and its ⋯;
  // ↑/↓ move between the others (./browser/main.ts). Drawn so from the start, it holds even
  // before the script has settled it. The views page of its own keeps every stop.
  const shown = views.findIndex((v) => v.query === current)
  const stop = (i: number) => (plain ? undefined : i === shown + 1 ? 0 : -1)
  return (
    <>
      <p class="rail-title">Views</p>
      {props.error ? (
        <p class="alert small" role="alert" id="rail-error">
          {props.error}
        </p>
      ) : null}
      <ul class="rail-list" id={plain ? undefined : 'rail-views'}>
        <li class="rail-item">
          <a
            class="rail-link"
            {...link('/customers')}
            aria-current={current === '' ? 'page' : undefined}
            tabIndex={stop(0)}
          >
            <span class="rail-name">All customers</span>
            {props.total === null ? (
              <span
                class="rail-count"
                title={`Views are counted for accounts of up to ${number.format(props.countedUpTo)} customers`}
              >
                {number.format(props.countedUpTo)}+
              </span>
            ) : (
              <span class="rail-count" data-view-count={props.total}>
                {number.format(props.total)}
              </span>
            )}
          </a>
        </li>
        {views.map((v, i) => {
          const count = counts.get(v.id)
          return (
            <li class="rail-item" data-view-id={v.id}>
              <a
                class="rail-link"
                {...link(`/customers?${v.query}`)}
                aria-current={current === v.query ? 'page' : undefined}
                tabIndex={stop(i + 1)}
                title={count && 'problem' in count ? count.problem : v.name}
              >
                <span class="rail-name">{v.name}</span>
                {count && 'count' in count ? (
                  <span class="rail-count" data-view-count={count.count}>
                    {number.format(count.count)}
                  </span>
                ) : count && 'uncounted' in count ? null : (
                  <span class="rail-count rail-problem" aria-label="cannot be counted">
                    !
                  </span>
                )}
              </a>
              <details class="rail-menu" open={props.renaming?.id === v.id}>
                <summary aria-label={`Manage the view ${v.name}`} tabIndex={stop(i + 1)}>
                  ⋯
                </summary>
                <div class="rail-menu-body">
                  <RailAction
                    view={v}
                    action="move"
                    field={['by', 'up']}
                    label="Move up"
                    disabled={i === 0}
                    csrf={csrf}
                    plain={plain}
                  />
                  <RailAction
                    view={v}
                    action="move"
                    field={['by', 'down']}
                    label="Move down"
                    disabled={i === views.length - 1}
                    csrf={csrf}
                    plain={plain}
                  />
                  <RenameForm
                    view={v}
                    typed={props.renaming?.id === v.id ? props.renaming.name : undefined}
                    csrf={csrf}
                    plain={plain}
                  />
                  <ConfirmAction
                    id={`confirm-delete-view-${v.id}`}
                    label={`Delete “${v.name}”…`}
                    itemClass="rail-action rail-action-danger"
                    title={`Delete the view “${v.name}”?`}
                    action={`/customers/views/${v.id}/delete`}
                    hx={railPost(`/customers/views/${v.id}/delete`, plain)}
                    confirmLabel="Delete view"
                    csrfToken={csrf}
                  >
                    <p>Only the view goes: its customers and their data stay as they are.</p>
                  </ConfirmAction>
                </div>
              </details>
            </li>
          )
        })}
      </ul>
      {views.length === 0 ? (
        <div class="rail-empty small">
          <p class="muted">Save a filter with “Save view” to keep it here.</p>
          {props.canAddReady ? (
            <form
              method="post"
              action="/customers/views/ready"
              {...railPost('/customers/views/ready', plain)}
            >
              <CsrfField token={props.csrfToken} />
              <button type="submit" class="button button-secondary button-small">
                Add the ready views
              </button>
            </form>
          ) : null}
        </div>
      ) : null}
    </>
  )
}

/** The htmx attributes of a form that redraws the rail with the answer; none for a plain form. */
const railPost = (url: string, plain?: boolean): Record<string, string> =>
  plain ? {} : { 'hx-post': url, 'hx-target': '#views-rail', 'hx-swap': 'outerHTML' }

/** A rail menu's action: a small POST form (htmx answers with the rail, a browser is redirected). */
function RailAction(props: {
  view: SavedView
  action: 'move'
  label: string
  field?: [string, string]
  disabled?: boolean
  csrf?: string
  plain?: boolean
}) {
  const url = `/customers/views/${props.view.id}/${props.action}`
  return (
    <form method="post" action={url} {...railPost(url, props.plain)}>
      <CsrfField token={props.csrf} />
      {props.field ? <input type="hidden" name={props.field[0]} value={props.field[1]} /> : null}
      <button type="submit" class="rail-action" disabled={props.disabled}>
        {props.label}
      </button>
    </form>
  )
}

/** Renames a view in place: its name in a field, saved by Enter or the button. `typed`: the name
 *  just refused, shown back to be corrected. */
function RenameForm(props: { view: SavedView; typed?: string; csrf?: string; plain?: boolean }) {
  const refused = props.typed !== undefined
  const url = `/customers/views/${props.view.id}/rename`
  const field = `rename-view-${props.view.id}`
  return (
    <form method="post" action={url} {...railPost(url, props.plain)} class="rail-rename">
      <CsrfField token={props.csrf} />
      <label for={field} class="small muted">
        Name
      </label>
      <input
        id={field}
        type="text"
        name="name"
        value={props.typed ?? props.view.name}
        required
        maxLength={MAX_VIEW_NAME}
        aria-invalid={refused ? 'true' : undefined}
        aria-describedby={refused ? 'rail-error' : undefined}
        autofocus={refused}
      />
      <button type="submit" class="rail-action">
        Rename
      </button>
    </form>
  )
}

/** The views as a page: the rail's list, for a browser without JavaScript, and a form's errors. */
export function ViewsPage(props: RailProps & { userEmail: string }) {
  return (
    <Layout
      title="Saved views"
      userEmail={props.userEmail}
      csrfToken={props.csrfToken}
      active="customers"
      head={<CustomersAssets />}
    >
      <div class="views-page card narrow">
        <p class="crumbs">
          <a href="/customers">← Customers</a>
        </p>
        <h1>Saved views</h1>
        <RailList {...props} plain />
      </div>
    </Layout>
  )
}
