// No JIT compiling on a migrated database (migration 2026-11-30T03-no-jit): a new session of any
// role starts with jit off, whatever the server's default; a role that does not own the database
// migrates all the same, its own session off.
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, expect, inject, it } from 'vitest'
import { openNodeDb } from './node.js'
import { down, up } from '../../migrations/2026-11-30T03-no-jit.js'

const url = inject('postgresUrl')
const admin = new pg.Client({ connectionString: url })
await admin.connect()
afterAll(() => admin.end())

const jitOf = async (connectionString: string) => {
  const client = new pg.Client({ connectionString })
  await client.connect()
  try {
    return (await client.query<{ jit: string }>('SHOW jit')).rows[0]!.jit
  } finally {
    await client.end()
  }
}

it('a new session on the migrated database has jit off; the server default is on', async () => {
  const { rows } = await admin.query<{ setting: string }>(
    `SELECT setting FROM pg_settings WHERE name = 'jit'`,
  )
  expect(rows[0]!.setting).toBe('off') // this session's, from the database's default
  expect(
    (await admin.query<{ d: string }>(`SELECT boot_val AS d FROM pg_settings WHERE name = 'jit'`))
      .rows[0]!.d,
  ).toBe('on')
  expect(await jitOf(url)).toBe('off')
})

it('a role that does not own the database migrates with a notice, its own session off', async () => {
  await admin.query('DROP ROLE IF EXISTS tinycrm_jit_guest')
  await admin.query(`CREATE ROLE tinycrm_jit_guest LOGIN`)
  try {
    const guest = new URL(url)
    guest.username = 'tinycrm_jit_guest'
    guest.password = ''
    const node = await openNodeDb({ databaseUrl: guest.toString(), poolSize: 1 })
    try {
      await node.db.connection().execute(async (conn) => {
        // Undoing it is refused too (a notice): the database's default stays off (below).
        await down(conn)
        await sql`SET jit = on`.execute(conn)
        await up(conn)
        expect((await sql<{ jit: string }>`SHOW jit`.execute(conn)).rows[0]!.jit).toBe('off')
      })
    } finally {
      await node.close()
    }
    // A new session: the database's own default, untouched by the guest (still the owner's: off).
    expect(await jitOf(url)).toBe('off')
  } finally {
    await admin.query('DROP ROLE tinycrm_jit_guest')
  }
})
