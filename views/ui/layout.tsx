// The page shell every dashboard page renders inside: the top bar with the nav (Customers,
// Projects, Imports, the account menu with API tokens and log out), the one-time message of the
// redirect that led here (src/lib/flash.ts), and, when signed in, the CSRF header htmx sends on
// every request. No inline scripts: htmx and app.js are files, under a strict CSP.
import type { ComponentChildren } from 'preact'
import { PageContext, type PageContextValue } from '../../src/lib/flash.js'
import { CsrfField } from './csrf.js'

/** What every signed-in page is given for its shell: who is signed in, the CSRF token. */
export interface PageShell {
  userEmail: string
  csrfToken: string | undefined
}

export type NavEntry = 'customers' | 'projects' | 'imports' | 'settings'

export interface LayoutProps {
  title: string
  /** The signed-in user's email, when there is one (shows the nav and log-out). */
  userEmail?: string
  /** Sent by htmx as X-CSRF-Token on every request from this page. */
  csrfToken?: string
  /** Which nav entry is the current page. */
  active?: NavEntry
  /** A page that needs more room than a form (the customers table) asks for it. */
  wide?: boolean
  /** A page's own stylesheet and script (files, for the CSP), after the shared ones. */
  head?: ComponentChildren
  /** Where the skip link (the first Tab stop) goes, when not to the page's start: past what a
   *  page puts before its heart (the customers page's rail of views). */
  skipTo?: { href: string; label: string }
  children: ComponentChildren
}

/** `/assets/app.css?v=…`: a URL that changes whenever the assets do, so browsers may keep each
 *  version for good (see src/node.ts). Without a version (Workers), the plain path. `page` is what
 *  a component whose `contextType` is PageContext is given as its second argument (the way to
 *  read a context without preact/hooks, which the Worker would bundle for it). */
export function assetUrl(page: PageContextValue): (path: string) => string {
  return (path) => (page.assetVersion ? `${path}?v=${page.assetVersion}` : path)
}

const NAV: { entry: NavEntry; href: string; label: string }[] = [
  { entry: 'customers', href: '/customers', label: 'Customers' },
  { entry: 'projects', href: '/projects', label: 'Projects' },
  { entry: 'imports', href: '/imports/new', label: 'Imports' },
]

export function Layout(props: LayoutProps, page: PageContextValue) {
  const { title, userEmail, csrfToken, active, children } = props
  const asset = assetUrl(page)
  const bodyAttrs = csrfToken
    ? { 'hx-headers:inherited': JSON.stringify({ 'X-CSRF-Token': csrfToken }) }
    : {}
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light" />
        <title>{`${title} · TinyCRM`}</title>
        <link rel="icon" href={asset('/assets/favicon.svg')} type="image/svg+xml" />
        <link rel="stylesheet" href={asset('/assets/app.css')} />
        <script src={asset('/assets/vendor/htmx.min.js')} defer></script>
        <script src={asset('/assets/app.js')} defer></script>
        {props.head}
      </head>
      <body {...bodyAttrs}>
        <a class="skip-link" href={props.skipTo?.href ?? '#main'}>
          {props.skipTo?.label ?? 'Skip to content'}
        </a>
        <header class="topbar">
          <nav class={props.wide ? 'topbar-inner wide' : 'topbar-inner'} aria-label="Main">
            <a class="brand" href="/">
              <span class="brand-mark" aria-hidden="true"></span>
              TinyCRM
            </a>
            {userEmail ? (
              <>
                <ul class="nav-links">
                  {NAV.map((n) => (
                    <li>
                      <a href={n.href} aria-current={active === n.entry ? 'page' : undefined}>
                        {n.label}
                      </a>
                    </li>
                  ))}
                </ul>
                <details class="account-menu">
                  <summary>
                    <span class="visually-hidden">Account: </span>
                    <span class="account-avatar" aria-hidden="true">
                      {userEmail.slice(0, 1).toUpperCase()}
                    </span>
                    <span class="account-email">{userEmail}</span>
                  </summary>
                  <div class="account-menu-body">
                    <p class="muted small">Signed in as {userEmail}</p>
                    <a
                      class="menu-item"
                      href="/settings/tokens"
                      aria-current={active === 'settings' ? 'page' : undefined}
                    >
                      API tokens
                    </a>
                    <a class="menu-item" href="/settings/team">
                      Team
                    </a>
                    <form method="post" action="/logout">
                      <CsrfField token={csrfToken} />
                      <button type="submit" class="menu-item">
                        Log out
                      </button>
                    </form>
                  </div>
                </details>
              </>
            ) : (
              <ul class="nav-links nav-end">
                <li>
                  <a href="/login">Log in</a>
                </li>
                <li>
                  <a href="/signup">Sign up</a>
                </li>
              </ul>
            )}
          </nav>
        </header>
        <main id="main" class={props.wide ? 'page wide' : 'page'}>
          <FlashMessage csrfToken={csrfToken} />
          {children}
        </main>
      </body>
    </html>
  )
}

/** What the last action did, shown once; with an Undo button when it can be undone. */
function FlashMessage({ csrfToken }: { csrfToken?: string }, { flash }: PageContextValue) {
  // A refused form's message is its page's to show, at that form.
  if (!flash || flash.refused) return null
  const tone = flash.tone ?? 'success'
  return (
    <div class={`flash flash-${tone}`} role="status" data-testid="flash">
      <span class="flash-icon" aria-hidden="true">
        {tone === 'danger' ? '–' : '✓'}
      </span>
      <p class="flash-message">{flash.message}</p>
      {flash.undo ? (
        <form method="post" action={flash.undo} class="flash-action">
          <CsrfField token={csrfToken} />
          <button type="submit" class="button button-secondary button-small">
            Undo
          </button>
        </form>
      ) : null}
    </div>
  )
}

Layout.contextType = PageContext
FlashMessage.contextType = PageContext
