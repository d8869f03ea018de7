// The page shell every dashboard page renders inside. (Stub: the dashboard issue owns its design.)
import type { ComponentChildren } from 'preact'

export interface LayoutProps {
  title: string
  /** The signed-in user's email, when there is one (shows the nav and log-out). */
  userEmail?: string
  children: ComponentChildren
}

export function Layout({ title, userEmail, children }: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · TinyCRM`}</title>
        <link rel="stylesheet" href="/assets/app.css" />
        <script src="/assets/vendor/htmx.min.js" defer></script>
      </head>
      <body>
        <header>
          <a href="/">TinyCRM</a>
          {userEmail ? <span>{userEmail}</span> : null}
        </header>
        <main>{children}</main>
      </body>
    </html>
  )
}
