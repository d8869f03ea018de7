// Sign-up and log-in pages: plain forms that post back to themselves (no JS needed).
import type { ComponentChildren } from 'preact'
import { CsrfField } from './ui/csrf.js'
import { Alert } from './ui/elements.js'
import { EmailField, NewPasswordField } from './ui/account-fields.js'
import { Layout } from './ui/layout.js'

interface FormPageProps {
  csrfToken: string | undefined
  email?: string
  error?: string
}

function AuthCard(props: { title: string; lead?: string; children: ComponentChildren }) {
  return (
    <section class="card auth-card" aria-labelledby="auth-title">
      <h1 id="auth-title">{props.title}</h1>
      {props.lead ? <p class="muted">{props.lead}</p> : null}
      {props.children}
    </section>
  )
}

export function LoginPage(props: FormPageProps & { next?: string }) {
  const action = props.next ? `/login?next=${encodeURIComponent(props.next)}` : '/login'
  return (
    <Layout title="Log in">
      <AuthCard title="Log in to TinyCRM">
        <Alert error={props.error} />
        <form method="post" action={action} class="stack">
          <CsrfField token={props.csrfToken} />
          <EmailField value={props.email} />
          <label class="field">
            <span>Password</span>
            <input type="password" name="password" autocomplete="current-password" required />
          </label>
          <button type="submit" class="button button-block">
            Log in
          </button>
        </form>
        <p class="auth-switch muted">
          No account yet? <a href="/signup">Sign up</a>
        </p>
      </AuthCard>
    </Layout>
  )
}

export function SignupPage(props: FormPageProps & { closed?: boolean; minPassword: number }) {
  if (props.closed) {
    return (
      <Layout title="Sign-up closed">
        <AuthCard title="Sign-up is closed">
          <p>
            This TinyCRM server accepts no new accounts. Ask its owner for access, or{' '}
            <a href="/login">log in</a>.
          </p>
        </AuthCard>
      </Layout>
    )
  }
  return (
    <Layout title="Sign up">
      <AuthCard
        title="Create your TinyCRM account"
        lead="One table for the customers of all your products."
      >
        <Alert error={props.error} />
        <form method="post" action="/signup" class="stack">
          <CsrfField token={props.csrfToken} />
          <EmailField value={props.email} />
          <NewPasswordField min={props.minPassword} />
          <button type="submit" class="button button-block">
            Sign up
          </button>
        </form>
        <p class="auth-switch muted">
          Already have an account? <a href="/login">Log in</a>
        </p>
      </AuthCard>
    </Layout>
  )
}
