// Small fixtures shared by tests: an account with projects and their keys, a browser signed in to
// the dashboard (./db.ts has the app on a test database), and a request helper.
import type { Kysely } from 'kysely'
import type { Database } from '../../src/db/schema.js'
import { createAccount } from '../../src/accounts/store.js'
import { createProject } from '../../src/projects/store.js'
import type { TestApp } from './db.js'
import { TestBrowser } from './test-browser.js'

let counter = 0

export async function seedAccount(db: Kysely<Database>, projectNames = ['App A', 'App B']) {
  const email = `owner${++counter}-${Date.now()}@example.com`
  const { accountId, userId } = await createAccount(db, {
    email,
    password: 'correct horse battery',
  })
  const projects = []
  for (const name of projectNames) projects.push(await createProject(db, { accountId, name }))
  return { accountId, userId, email, password: 'correct horse battery', projects }
}

/** A seeded account (see `seedAccount`) signed in through the dashboard's login form. */
export async function logInSeeded(t: TestApp, projectNames?: string[]) {
  const seeded = await seedAccount(t.db, projectNames)
  const b = new TestBrowser(t.app)
  await b.logIn(seeded.email, seeded.password)
  return { b, seeded }
}

/** Signs up as `email` through the dashboard's forms and creates the project "App A" there. */
export async function signUpWithProject(t: TestApp, email: string) {
  const b = new TestBrowser(t.app)
  await b.signUp(email)
  await b.get('/projects')
  await b.post('/projects', { name: 'App A' })
  const project = await t.db
    .selectFrom('projects as p')
    .innerJoin('users as u', 'u.account_id', 'p.account_id')
    .select('p.id')
    .where('u.email', '=', email)
    .executeTakeFirstOrThrow()
  return { b, projectId: project.id }
}

type Fetcher = { request: (input: string, init?: RequestInit) => Response | Promise<Response> }

/** POSTs JSON with a bearer key and returns the status and the parsed body. */
export async function postJson(app: Fetcher, path: string, key: string | undefined, body: unknown) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' }
  if (key) headers.Authorization = `Bearer ${key}`
  const res = await app.request(path, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: res.status, headers: res.headers, body: (await res.json()) as any }
}
