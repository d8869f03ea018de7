// The page a dashboard request gets when something goes wrong (the API answers JSON instead):
// what happened in words, ways back, and for a 500 the request id the log line carries.
import { Layout } from './ui/layout.js'

const TITLES: Record<number, string> = {
  403: 'Not allowed',
  404: 'Page not found',
  413: 'Too large',
  429: 'Slow down',
}

/** A readable error page for dashboard requests (the API answers JSON instead). */
export function ErrorPage(props: {
  status: number
  message: string
  requestId?: string
  userEmail?: string
  csrfToken?: string
}) {
  const title = TITLES[props.status] ?? 'Something went wrong'
  const signedIn = props.userEmail !== undefined
  return (
    <Layout title={title} userEmail={props.userEmail} csrfToken={props.csrfToken}>
      <section class="error-page" aria-labelledby="error-title">
        <p class="error-code" aria-hidden="true">
          {props.status}
        </p>
        <h1 id="error-title">{title}</h1>
        <p class="muted">{props.message}</p>
        {props.requestId ? (
          <p class="muted small">
            Request id <code>{props.requestId}</code> (the server's log has the details).
          </p>
        ) : null}
        <div class="button-row error-actions">
          {signedIn ? (
            <>
              <a class="button" href="/customers">
                Go to your customers
              </a>
              <a class="button button-secondary" href="/projects">
                Projects
              </a>
            </>
          ) : (
            <a class="button" href="/">
              Back to TinyCRM
            </a>
          )}
        </div>
      </section>
    </Layout>
  )
}
