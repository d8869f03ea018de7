// The page shell every dashboard page renders inside: the top bar with the nav (Customers,
// Projects, the account menu with log out) and, when signed in, the CSRF header htmx sends on
// every request. No inline scripts: htmx and app.js are files, so a strict CSP can come later.
import type { ComponentChildren } from 'preact'
import { CsrfField } from './csrf.js'

/** What every signed-in page is given for its shell: who is signed in, the CSRF token. */
export interface PageShell {
  userEmail: string
  csrfToken: string | undefined
}

export interface LayoutProps {
  title: string
  /** The signed-in user's email, when there is one (shows the nav and log-out). */
  userEmail?: string
  /** Sent by htmx as X-CSRF-Token on every request from this page. */
  csrfToken?: string
  /** Which nav entry is the current page. */
  active?: 'customers' | 'projects'
  children: ComponentChildren
}

export function Layout({ title, userEmail, csrfToken, active, children }: LayoutProps) {
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
        <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/assets/app.css" />
        <script src="/assets/vendor/htmx.min.js" defer></script>
        <script src="/assets/app.js" defer></script>
      </head>
      <body {...bodyAttrs}>
        <a class="skip-link" href="#main">
          Skip to content
        </a>
        <header class="topbar">
          <nav class="topbar-inner" aria-label="Main">
            <a class="brand" href="/">
              <span class="brand-mark" aria-hidden="true">
                ◆
              </span>
              TinyCRM
            </a>
            {userEmail ? (
              <>
                <ul class="nav-links">
                  <li>
                    <a href="/customers" aria-current={active === 'customers' ? 'page' : undefined}>
                      Customers
                    </a>
                  </li>
                  <li>
                    <a href="/projects" aria-current={active === 'projects' ? 'page' : undefined}>
                      Projects
                    </a>
                  </li>
                </ul>
                <details class="account-menu">
                  <summary>
                    <span class="visually-hidden">Account: </span>
                    <span class="account-email">{userEmail}</span>
                  </summary>
                  <div class="account-menu-body">
                    <p class="muted small">Signed in as {userEmail}</p>
                    <p class="small">
                      <a href="/settings/tokens">API tokens</a>
                    </p>
                    <form method="post" action="/logout">
                      <CsrfField token={csrfToken} />
                      <button type="submit" class="button button-secondary">
                        Log out
                      </button>
                    </form>
                  </div>
                </details>
              </>
            ) : (
              <ul class="nav-links">
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
        <main id="main" class="page">
          {children}
        </main>
      </body>
    </html>
  )
}
