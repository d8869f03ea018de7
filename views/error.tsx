// The page a dashboard request gets when something goes wrong (the API answers JSON instead):
// what happened in words, a way back, and for a 500 the request id the log line carries.
import { Layout } from './ui/layout.js'

/** A readable error page for dashboard requests (the API answers JSON instead). */
export function ErrorPage(props: {
  status: number
  message: string
  requestId?: string
  userEmail?: string
  csrfToken?: string
}) {
  const title =
    props.status === 404
      ? 'Not found'
      : props.status === 403
        ? 'Not allowed'
        : 'Something went wrong'
  return (
    <Layout title={title} userEmail={props.userEmail} csrfToken={props.csrfToken}>
      <section class="card narrow error-page">
        <h1>{title}</h1>
        <p>{props.message}</p>
        {props.requestId ? <p class="muted small">Request id: {props.requestId}</p> : null}
        <p>
          <a class="button" href="/">
            Back to TinyCRM
          </a>
        </p>
      </section>
    </Layout>
  )
}
