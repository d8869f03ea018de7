// README.md's "Already on Segment?" snippet, run as written: its code block is written to a file
// and imported, with TINYCRM_URL and TINYCRM_API_KEY pointing at the running app (Node over PGlite);
// then, as the README says it also runs, saved as a .mjs file and run by plain `node`.
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { beforeAll, expect, it } from 'vitest'
import { useTestApp } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** The ```ts block under "### Point a Segment library at TinyCRM" in README.md. */
function snippet(): string {
  const readme = readFileSync(`${ROOT}/README.md`, 'utf8')
  const part = readme.slice(readme.indexOf('### Point a Segment library at TinyCRM'))
  const code = /```ts\n([\s\S]*?)```/.exec(part)?.[1]
  if (!code) throw new Error('no Segment snippet in README.md')
  return code
}

const t = useTestApp({ listen: true })
let seeded: Awaited<ReturnType<typeof seedAccount>>

beforeAll(async () => {
  seeded = await seedAccount(t.db)
  process.env.TINYCRM_URL = t.baseUrl
  process.env.TINYCRM_API_KEY = seeded.projects[0]!.key
})

it("README's analytics-node snippet delivers: the customer, their status and params, their activity", async () => {
  const dir = `${ROOT}/test-artifacts`
  mkdirSync(dir, { recursive: true })
  const file = `${dir}/segment-snippet-${process.pid}.ts`
  writeFileSync(file, snippet())
  await import(/* @vite-ignore */ file)
  const row = await t.db
    .selectFrom('customer_projects as r')
    .innerJoin('customers as c', 'c.id', 'r.customer_id')
    .select(['c.email', 'c.name', 'r.status', 'r.params'])
    .where('r.project_id', '=', seeded.projects[0]!.project.id)
    .executeTakeFirst()
  expect(row).toEqual({
    email: 'alex@example.com',
    name: 'Alex Chen',
    status: 'paid',
    params: { plan: 'pro' },
  })
  const ids = await t.db.selectFrom('segment_ids').select('external_id').execute()
  expect(ids.map((i) => i.external_id)).toContain('user_42')
  const messages = await t.db.selectFrom('segment_messages').selectAll().execute()
  expect(messages).toHaveLength(2)

  const mjs = `${dir}/segment-snippet-${process.pid}.mjs`
  writeFileSync(mjs, snippet())
  await promisify(execFile)(process.execPath, [mjs], { env: process.env })
  expect(await t.db.selectFrom('segment_messages').selectAll().execute()).toHaveLength(4)
})
