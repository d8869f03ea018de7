// Sign-up and log-in pages: plain forms that post back to themselves (no JS needed).
import { CsrfField } from './ui/csrf.js'
import { Layout } from './ui/layout.js'

interface FormPageProps {
  csrfToken: string | undefined
  email?: string
  error?: string
}

export function LoginPage(props: FormPageProps & { next?: string; notice?: string }) {
  const action = props.next ? `/login?next=${encodeURIComponent(props.next)}` : '/login'
  return (
    <Layout title="Log in">
      <section class="card narrow auth-card">
        <h1>Log in to TinyCRM</h1>
        {props.notice ? <p class="notice">{props.notice}</p> : null}
        {props.error ? (
          <p class="alert" role="alert">
            {props.error}
          </p>
        ) : null}
        <form method="post" action={action} class="stack">
          <CsrfField token={props.csrfToken} />
          <label class="field">
            <span>Email</span>
            <input
              type="email"
              name="email"
              autocomplete="username"
              required
              value={props.email ?? ''}
            />
          </label>
          <label class="field">
            <span>Password</span>
            <input type="password" name="password" autocomplete="current-password" required />
          </label>
          <button type="submit" class="button">
            Log in
          </button>
        </form>
        <p class="muted">
          No account yet? <a href="/signup">Sign up</a>
        </p>
      </section>
    </Layout>
  )
}

export function SignupPage(props: FormPageProps & { closed?: boolean; minPassword: number }) {
  if (props.closed) {
    return (
      <Layout title="Sign-up closed">
        <section class="card narrow auth-card">
          <h1>Sign-up is closed</h1>
          <p>
            This TinyCRM server accepts no new accounts. Ask its owner for access, or{' '}
            <a href="/login">log in</a>.
          </p>
        </section>
      </Layout>
    )
  }
  return (
    <Layout title="Sign up">
      <section class="card narrow auth-card">
        <h1>Create your TinyCRM account</h1>
        <p class="muted">One table for the customers of all your products.</p>
        {props.error ? (
          <p class="alert" role="alert">
            {props.error}
          </p>
        ) : null}
        <form method="post" action="/signup" class="stack">
          <CsrfField token={props.csrfToken} />
          <label class="field">
            <span>Email</span>
            <input
              type="email"
              name="email"
              autocomplete="username"
              required
              value={props.email ?? ''}
            />
          </label>
          <label class="field">
            <span>Password</span>
            <input
              type="password"
              name="password"
              autocomplete="new-password"
              required
              minLength={props.minPassword}
              aria-describedby="password-hint"
            />
            <small id="password-hint" class="muted">
              At least {props.minPassword} characters.
            </small>
          </label>
          <button type="submit" class="button">
            Sign up
          </button>
        </form>
        <p class="muted">
          Already have an account? <a href="/login">Log in</a>
        </p>
      </section>
    </Layout>
  )
}
