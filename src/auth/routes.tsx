// Sign up, log in, log out, and `/` (to the customers table when signed in, else to log in; on a
// server with no account yet, to sign up: the first visit makes the first account).
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import { MIN_PASSWORD_LENGTH, createAccount } from '../accounts/store.js'
import { checkLogin, clearFailures, hasAnyAccount, signupAllowed } from './login.js'
import { endSession, startSession } from '../middleware/session/index.js'
import { redirectWithFlash } from '../middleware/flash/index.js'
import { startPresession } from '../middleware/csrf/index.js'
import type { HonoEnv } from '../env.js'
import { ApiError } from '../lib/errors.js'
import { parseEmail } from '../lib/email.js'
import { formFields } from '../lib/http.js'
import { renderPage } from '../lib/render.js'
import { LoginPage, SignupPage } from '../../views/auth.js'
import type { RateLimiter } from '../lib/rate-limit.js'

async function credentials(c: Context<HonoEnv>) {
  const field = await formFields(c)
  return { email: (field('email') ?? '').trim(), password: field('password') ?? '' }
}

/** Why `email` is not an address (lib/email.ts), or undefined. */
function emailProblem(email: string): string | undefined {
  try {
    parseEmail(email)
    return undefined
  } catch (err) {
    if (err instanceof ApiError) return err.message
    throw err
  }
}

const AFTER_LOGIN = '/customers'
// Resolved against a placeholder origin: only the path, query and fragment are ever kept.
const ORIGIN = 'http://tinycrm.invalid'

/**
 * Where to go after login: `next` when it is a path of this site, else the customers table. It is
 * resolved against the origin and re-serialised (so what is sent is percent-encoded, never raw), and
 * refused when it holds a control character or a backslash (browsers drop a tab or newline and read
 * `\` as `/`, so `/<TAB>/evil.example` would lead to `//evil.example`) or leaves the origin.
 */
export function safeNext(next: string | undefined | null): string {
  if (!next || !next.startsWith('/') || /[\p{Cc}\\]/u.test(next)) return AFTER_LOGIN
  let url: URL
  try {
    url = new URL(next, ORIGIN)
  } catch {
    return AFTER_LOGIN
  }
  const path = url.pathname + url.search + url.hash
  // `/..//x` resolves to the path `//x`, which a browser reads as the host x.
  if (url.origin !== ORIGIN || !path.startsWith('/') || path.startsWith('//')) return AFTER_LOGIN
  return path
}

export function authRoutes(loginLimiter?: RateLimiter) {
  const app = new Hono<HonoEnv>()

  app.get('/', async function home(c) {
    if (c.var.user) return c.redirect('/customers', 303)
    return c.redirect((await hasAnyAccount(c.var.db)) ? '/login' : '/signup', 303)
  })

  app.get('/signup', async function signupPage(c) {
    if (c.var.user) return c.redirect('/customers', 303)
    const closed = !(await signupAllowed(c.var.db, c.var.config.signup))
    return renderPage(
      c,
      <SignupPage csrfToken={c.var.csrfToken} closed={closed} minPassword={MIN_PASSWORD_LENGTH} />,
      closed ? 403 : 200,
    )
  })

  app.post('/signup', async function signup(c) {
    const { email, password } = await credentials(c)
    if (!(await signupAllowed(c.var.db, c.var.config.signup))) {
      return renderPage(c, <SignupPage csrfToken={c.var.csrfToken} closed minPassword={0} />, 403)
    }
    let userId: number
    try {
      ;({ userId } = await createAccount(c.var.db, {
        email,
        password,
        onlyIfFirst: c.var.config.signup === 'closed',
      }))
    } catch (err) {
      if (err instanceof ApiError && err.code === 'forbidden') {
        return renderPage(c, <SignupPage csrfToken={c.var.csrfToken} closed minPassword={0} />, 403)
      }
      if (!(err instanceof ApiError) || err.code !== 'validation_failed') throw err
      const page = (
        <SignupPage
          csrfToken={c.var.csrfToken}
          email={email}
          error={err.message}
          minPassword={MIN_PASSWORD_LENGTH}
        />
      )
      return renderPage(c, page, 400)
    }
    await startSession(c, userId)
    return c.redirect('/projects', 303)
  })

  app.get('/login', async function loginPage(c) {
    const next = c.req.query('next')
    if (c.var.user) return c.redirect(safeNext(next), 303)
    // Nobody to log in as yet: the first visitor makes the first account.
    if (!(await hasAnyAccount(c.var.db))) return c.redirect('/signup', 303)
    return renderPage(c, <LoginPage csrfToken={c.var.csrfToken} next={next} />)
  })

  app.post('/login', async function login(c) {
    const { email, password } = await credentials(c)
    const next = c.req.query('next')
    // No account has an address that is not one (sign-up checks the same rule), so this tells
    // nobody anything, and keeps a 7,000-character "email" away from the failure counter's index.
    const problem = emailProblem(email)
    if (problem) {
      const page = (
        <LoginPage csrfToken={c.var.csrfToken} email={email} error={problem} next={next} />
      )
      return renderPage(c, page, 400)
    }
    // Counted before PBKDF2 runs: a flood of attempts costs neither CPU nor a database write.
    if (loginLimiter && !(await loginLimiter.limit(`login:${email.trim().toLowerCase()}`))) {
      c.header('Retry-After', String(loginLimiter.retryAfterSeconds))
      const error = 'Too many login attempts for this email. Wait a minute and try again.'
      const page = <LoginPage csrfToken={c.var.csrfToken} email={email} error={error} next={next} />
      return renderPage(c, page, 429)
    }
    const result = await checkLogin(c.var.db, email, password)
    // A password reset between the check and the session: the password given is no longer it.
    const started = result.ok && (await startSession(c, result.user.userId, result.passwordHash))
    if (!result.ok || !started) {
      const locked = !result.ok && result.reason === 'locked'
      if (locked) c.header('Retry-After', String(result.retryAfterSeconds))
      const error = locked
        ? `Too many failed attempts for this email. Try again in ${minutes(result.retryAfterSeconds)}.`
        : 'Wrong email or password.'
      const page = <LoginPage csrfToken={c.var.csrfToken} email={email} error={error} next={next} />
      return renderPage(c, page, locked ? 429 : 400)
    }
    if (result.hadFailures) await clearFailures(c.var.db, email)
    return c.redirect(safeNext(next), 303)
  })

  app.post('/logout', async function logout(c) {
    await endSession(c)
    // Signed out, the browser proves itself with a pre-session secret: it gets one now, which
    // signs the message (the session token it sent here no longer comes back).
    return redirectWithFlash(c, '/login', { message: 'You are logged out.' }, startPresession(c))
  })

  return app
}

/** A wait in whole minutes, as a person says it: "1 minute", "5 minutes". */
function minutes(seconds: number): string {
  const n = Math.ceil(seconds / 60)
  return n === 1 ? '1 minute' : `${n} minutes`
}
