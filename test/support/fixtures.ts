// Small fixtures shared by tests: an account with projects and their keys, and a request helper.
import type { Kysely } from 'kysely'
import type { Database } from '../../src/db/schema.js'
import { createAccount } from '../../src/accounts/store.js'
import { createProject } from '../../src/projects/store.js'

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
