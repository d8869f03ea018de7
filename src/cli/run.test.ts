// The CLI's contract, run in-process through runCli (the same code main.ts runs) on a real PGlite
// data directory: usage and exit codes, where passwords come from, how projects and keys are
// named, and the one-line errors for user mistakes. src/cli/cli.test.ts runs it as real processes.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestDb, type TestDb } from '../../test/support/db.js'
import { createApp } from '../app.js'
import { checkLogin } from '../auth/login.js'
import { createSession } from '../auth/sessions.js'
import type { Target } from './database.js'
import { runCli } from './run.js'

const tmp = mkdtempSync(join(tmpdir(), 'tinycrm-cli-run-'))
const dir = join(tmp, 'db')
let t: TestDb
/** What each command asked to open (the database itself is one shared, migrated PGlite). */
const opened: Target[] = []

beforeAll(async () => {
  t = await openTestDb()
})
afterAll(async () => {
  await t.close()
  rmSync(tmp, { recursive: true, force: true })
})

interface RunOptions {
  stdin?: string
  env?: NodeJS.ProcessEnv
  prompt?: () => Promise<string>
  /** Open the target for real, as main.ts does, instead of the shared test database. */
  realOpen?: boolean
}

async function run(args: string[], opts: RunOptions = {}) {
  let stdout = ''
  let stderr = ''
  const code = await runCli(
    args,
    {
      stdout: (text) => void (stdout += text),
      stderr: (text) => void (stderr += text),
      env: { TINYCRM_DATA_DIR: dir, ...opts.env },
      readStdin: async () => opts.stdin ?? '',
      promptPassword: opts.prompt,
    },
    opts.realOpen
      ? {}
      : {
          openDatabase: async (target) => {
            opened.push(target)
            return { ...t, close: async () => {} }
          },
        },
  )
  return { code, stdout, stderr }
}

const lastLine = (text: string) => text.trimEnd().split('\n').at(-1)!
const PW = ['--password', 'correct horse battery']

describe('usage', () => {
  it('prints the tool help on --help and exits 0', async () => {
    const r = await run(['--help'])
    expect(r.code).toBe(0)
    for (const c of ['account create', 'project list', 'key create', 'key rotate', 'key revoke']) {
      expect(r.stdout).toContain(c)
    }
    expect(await run(['help'])).toEqual(r)
  })

  it('prints a command help, wherever --help is', async () => {
    const r = await run(['project', 'create', '--help'])
    expect(r).toMatchObject({ code: 0, stderr: '' })
    expect(r.stdout).toMatch(
      /^Usage: npm run tinycrm -- project create --account EMAIL --name NAME/,
    )
    expect((await run(['help', 'project', 'create'])).stdout).toBe(r.stdout)
    expect((await run(['-h', 'project', 'create'])).stdout).toBe(r.stdout)
  })

  it('answers a mistake with a message and the usage on stderr, exit 2', async () => {
    const cases: [string[], string][] = [
      [[], 'No command given'],
      [['frob'], "Unknown command 'frob'"],
      [['key'], "'key' needs a subcommand: create, rotate, list, revoke"],
      [['key', 'frob'], "Unknown command 'key frob'; 'key' has: create, rotate, list, revoke"],
      [['key', 'rotate', '--project', '1', '--nme', 'x'], "Unknown option '--nme'"],
      [['project', 'create', '--account', 'a@b.co'], 'Missing --name'],
      [['project', 'create', '--name'], "Option '--name <value>' argument missing"],
      [['account', 'list', 'extra'], "Unexpected argument 'extra'"],
    ]
    for (const [args, message] of cases) {
      const r = await run(args)
      expect(r, args.join(' ')).toMatchObject({ code: 2, stdout: '' })
      expect(r.stderr.split('\n')[0]).toBe(`tinycrm: ${message}`)
      expect(r.stderr).toContain('Usage: npm run tinycrm --')
    }
  })
})

describe('the database it works on', () => {
  it('refuses a data directory without a database instead of creating an empty one', async () => {
    const missing = join(tmp, 'typo')
    const r = await run(['project', 'list'], { env: { TINYCRM_DATA_DIR: missing }, realOpen: true })
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(
      `tinycrm: No TinyCRM database in ${missing}. Set TINYCRM_DATA_DIR (or --data-dir) to the ` +
        "server's data directory, or start with: npm run tinycrm -- account create --email EMAIL " +
        '--password -\n',
    )
    expect(existsSync(missing)).toBe(false)
  })

  it('takes --data-dir over TINYCRM_DATA_DIR, and rejects bad database settings', async () => {
    opened.length = 0
    await run(['account', 'list'], { env: { TINYCRM_DATA_DIR: 'from-env' } })
    await run(['account', 'list', '--data-dir', 'from-flag'], {
      env: { TINYCRM_DATA_DIR: 'from-env' },
    })
    await run(['account', 'list', '--data-dir', 'from-flag'], {
      env: { DATABASE_URL: 'postgres://db.example/crm' },
    })
    await run(['account', 'list', '--database-url', 'postgres://flag.example/crm'])
    expect(opened).toEqual([
      { dataDir: 'from-env', databaseUrl: undefined },
      { dataDir: 'from-flag', databaseUrl: undefined },
      { dataDir: 'from-flag', databaseUrl: undefined },
      { dataDir: dir, databaseUrl: 'postgres://flag.example/crm' },
    ])
    const both = await run([
      'account',
      'list',
      '--data-dir',
      dir,
      '--database-url',
      'postgres://x/y',
    ])
    expect(both).toMatchObject({
      code: 1,
      stderr: 'tinycrm: Give --database-url or --data-dir, not both\n',
    })
    const badUrl = await run(['account', 'list'], { env: { DATABASE_URL: 'mysql://x/y' } })
    expect(badUrl).toMatchObject({
      code: 1,
      stderr: 'tinycrm: DATABASE_URL must be a postgres:// or postgresql:// URL\n',
    })
  })
})

describe('account create', () => {
  it('takes the password from --password -, TINYCRM_PASSWORD, or a prompt at a terminal', async () => {
    const fromStdin = await run(
      ['account', 'create', '--email', 'stdin@example.com', '--password', '-'],
      {
        stdin: 'correct horse battery\nignored second line\n',
      },
    )
    expect(fromStdin).toMatchObject({ code: 0, stderr: '' })
    expect(fromStdin.stdout).toMatch(/^Created account \d+ for stdin@example\.com\.\n/)

    const fromEnv = await run(['account', 'create', '--email', 'env@example.com'], {
      env: { TINYCRM_PASSWORD: 'correct horse battery' },
    })
    expect(fromEnv.code).toBe(0)

    let asked = 0
    const prompt = async () => {
      asked++
      return 'correct horse battery'
    }
    expect((await run(['account', 'create', '--email', 'tty@example.com'], { prompt })).code).toBe(
      0,
    )
    expect(asked).toBe(1)

    const none = await run(['account', 'create', '--email', 'none@example.com'])
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/^tinycrm: account create needs a password: --password - /)
  })

  it('refuses a taken email, a bad email and a short password with one line, exit 1', async () => {
    await run(['account', 'create', '--email', 'taken@example.com', ...PW])
    const before = JSON.parse((await run(['account', 'list', '--json'])).stdout)
    const TOO_LONG = 'email is too long (at most 254 characters)'
    const cases: [string[], string][] = [
      [
        ['--email', 'TAKEN@example.com', ...PW],
        'An account with the email taken@example.com already exists',
      ],
      [['--email', 'not-an-email', ...PW], 'email is not a valid email address'],
      [['--email', 'weird"<script>@x.test', ...PW], 'email is not a valid email address'],
      [['--email', `${'a'.repeat(5000)}@example.com`, ...PW], TOO_LONG],
      [['--email', `${'a'.repeat(243)}@example.com`, ...PW], TOO_LONG],
      [
        ['--email', 'short@example.com', '--password', 'short'],
        'password must be at least 8 characters',
      ],
    ]
    for (const [args, message] of cases) {
      expect(await run(['account', 'create', ...args])).toEqual({
        code: 1,
        stdout: '',
        stderr: `tinycrm: ${message}\n`,
      })
    }
    // A refused account leaves nothing behind (no orphan account without a user).
    expect(JSON.parse((await run(['account', 'list', '--json'])).stdout)).toEqual(before)
  })
})

describe('projects and keys', () => {
  it('names a project by id, or by slug when one account has it, else asks for --account', async () => {
    await run(['account', 'create', '--email', 'one@example.com', ...PW])
    await run(['account', 'create', '--email', 'two@example.com', ...PW])
    const created = await run([
      'project',
      'create',
      '--account',
      'one@example.com',
      '--name',
      'Shared Name',
    ])
    const id = /\(id (\d+), slug shared-name\)/.exec(created.stdout)![1]!
    const bySlug = await run(['key', 'list', '--project', 'shared-name'])
    expect(bySlug.code).toBe(0)
    expect(bySlug.stdout).toMatch(/^tcrm_proj_\S{6}…\s+\S+ \S+\s+active$/m)

    await run(['project', 'create', '--account', 'two@example.com', '--name', 'Shared Name'])
    const ambiguous = await run(['key', 'list', '--project', 'shared-name'])
    expect(ambiguous).toMatchObject({
      code: 1,
      stderr:
        "tinycrm: Several accounts have a project 'shared-name': add --account EMAIL, or use the project id\n",
    })
    expect((await run(['key', 'list', '--project', id])).code).toBe(0)
    const scoped = await run([
      'key',
      'list',
      '--project',
      'shared-name',
      '--account',
      'two@example.com',
      '--json',
    ])
    expect(JSON.parse(scoped.stdout)).toMatchObject([
      { prefix: expect.stringMatching(/^tcrm_proj_/) },
    ])

    expect(await run(['key', 'list', '--project', 'nope'])).toMatchObject({
      code: 1,
      stderr: "tinycrm: No project 'nope' (see: project list)\n",
    })
    expect(
      await run(['key', 'list', '--project', id, '--account', 'two@example.com']),
    ).toMatchObject({
      code: 1,
      stderr: `tinycrm: No project '${id}' in the account of two@example.com\n`,
    })
    expect(await run(['project', 'list', '--account', 'ghost@example.com'])).toMatchObject({
      code: 1,
      stderr: 'tinycrm: No account with the email ghost@example.com (see: account list)\n',
    })
  })

  it('lists projects as a table or JSON, and checks the colour', async () => {
    await run(['account', 'create', '--email', 'lists@example.com', ...PW])
    const a = ['--account', 'lists@example.com']
    await run(['project', 'create', ...a, '--name', 'Alpha', '--color', '#0F766E'])
    await run(['project', 'create', ...a, '--name', 'Alpha'])
    const json = JSON.parse((await run(['project', 'list', ...a, '--json'])).stdout)
    expect(json).toMatchObject([
      { slug: 'alpha', name: 'Alpha', color: '#0f766e', activeKeys: 1 },
      { slug: 'alpha-2', name: 'Alpha', activeKeys: 1 },
    ])
    const table = await run(['project', 'list', ...a])
    expect(table.stdout.split('\n')[0]).toMatch(/^ID +SLUG +ACTIVE KEYS +CREATED \(UTC\) +NAME$/)
    const all = await run(['project', 'list'])
    expect(all.stdout).toMatch(/^lists@example\.com +\d+ +alpha-2 +1 /m)

    expect(
      await run(['project', 'create', ...a, '--name', 'Beta', '--color', 'red']),
    ).toMatchObject({
      code: 1,
      stderr: "tinycrm: --color must look like #4f46e5, got 'red'\n",
    })
  })

  it('adds a key without revoking the others, and revokes by the prefix a listing shows', async () => {
    await run(['account', 'create', '--email', 'keys@example.com', ...PW])
    const a = ['--account', 'keys@example.com']
    const first = lastLine((await run(['project', 'create', ...a, '--name', 'Keyed'])).stdout)
    const added = await run(['key', 'create', '--project', 'keyed', ...a])
    expect(added.code).toBe(0)
    const second = lastLine(added.stdout)
    expect(second).toMatch(/^tcrm_proj_[0-9A-Za-z]{32}$/)
    const keys = JSON.parse(
      (await run(['key', 'list', '--project', 'keyed', ...a, '--json'])).stdout,
    )
    expect(keys).toMatchObject([
      { prefix: first.slice(0, 16), revokedAt: null },
      { prefix: second.slice(0, 16), revokedAt: null },
    ])

    // Pasted as `key list` shows it, ellipsis included; another account's scope matches nothing.
    const shown = `${first.slice(0, 16)}…`
    expect(
      await run(['key', 'revoke', '--key', shown, '--account', 'lists@example.com']),
    ).toMatchObject({
      code: 1,
      stderr: `tinycrm: No active key starts with ${first.slice(0, 16)}\n`,
    })
    const revoked = await run(['key', 'revoke', '--key', shown])
    expect(revoked).toMatchObject({ code: 0, stderr: '' })
    expect(revoked.stdout).toMatch(
      new RegExp(`^Revoked ${first.slice(0, 16)}… of Keyed \\(id \\d+, slug keyed\\)\\n$`),
    )
    const after = JSON.parse(
      (await run(['key', 'list', '--project', 'keyed', ...a, '--json'])).stdout,
    )
    expect(after[0].revokedAt).not.toBeNull()
    expect(after[1].revokedAt).toBeNull()

    expect(await run(['key', 'revoke', '--key', 'tcrm_proj_'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('tcrm_proj_ + 4 or more characters'),
    })
  })
})

describe('project create --if-missing', () => {
  it('creates the project once; a second run changes nothing and prints no key', async () => {
    await run(['account', 'create', '--email', 'setup@example.com', ...PW])
    const args = ['project', 'create', '--account', 'setup@example.com', '--name', 'Formly']
    const first = await run([...args, '--if-missing'])
    expect(first).toMatchObject({ code: 0, stderr: '' })
    expect(lastLine(first.stdout)).toMatch(/^tcrm_proj_[0-9A-Za-z]{32}$/)

    const again = await run([...args, '--if-missing'])
    expect(again.code).toBe(0)
    expect(again.stdout).toBe('')
    expect(again.stderr).toMatch(
      /^Project Formly \(id (\d+), slug formly\) already exists for setup@example\.com: nothing changed\. Its keys are not shown again \(add one: npm run tinycrm -- key create --project \1\)\.\n$/,
    )
    const listed = JSON.parse(
      (await run(['project', 'list', '--account', 'setup@example.com', '--json'])).stdout,
    )
    expect(listed).toMatchObject([{ slug: 'formly', activeKeys: 1 }])
    // Without the flag the old behaviour stays: a second project, formly-2.
    expect((await run(args)).stdout).toContain('slug formly-2')
    expect((await run([...args, '--name', '  '])).stderr).toBe(
      'tinycrm: The project name must be 1 to 80 characters.\n',
    )
  })
})

describe('account reset-password', () => {
  it('sets the new password, ends every session, and clears the failed logins', async () => {
    const email = 'forgot@example.com'
    await run(['account', 'create', '--email', email, ...PW])
    const user = await checkLogin(t.db, email, 'correct horse battery')
    if (!user.ok) throw new Error('login failed')
    await createSession(t.db, { userId: user.user.userId, tokenHash: 'a'.repeat(64) })
    await checkLogin(t.db, email, 'a wrong guess')
    const failures = () =>
      t.db.selectFrom('login_failures').select('failures').where('email', '=', email).execute()
    expect(await failures()).toEqual([{ failures: 1 }])

    const r = await run(
      ['account', 'reset-password', '--email', 'FORGOT@example.com', '--password', '-'],
      {
        stdin: 'a brand new secret\n',
      },
    )
    expect(r).toEqual({
      code: 0,
      stdout: `Password of ${email} reset; 1 session(s) ended. Log in with the new one.\n`,
      stderr: '',
    })
    // Read before the logins below: the old password's attempt is a new failure of its own.
    expect(await failures()).toEqual([])
    const sessions = await t.db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', user.user.userId)
      .execute()
    expect(sessions).toEqual([])
    expect((await checkLogin(t.db, email, 'correct horse battery')).ok).toBe(false)
    expect((await checkLogin(t.db, email, 'a brand new secret')).ok).toBe(true)
  })

  it('refuses an unknown user, a bad email and a short password, changing nothing', async () => {
    const cases: [string[], string, number][] = [
      [
        ['--email', 'nobody@example.com', ...PW],
        'No user with the email nobody@example.com (see: account list)',
        1,
      ],
      [['--email', 'x@', ...PW], 'email is not a valid email address', 1],
      [
        ['--email', 'forgot@example.com', '--password', 'short'],
        'password must be at least 8 characters',
        1,
      ],
      [
        ['--email', 'forgot@example.com'],
        'account reset-password needs a password: --password - (read the first line of stdin), TINYCRM_PASSWORD in the environment, or --password VALUE',
        2,
      ],
    ]
    for (const [args, message, code] of cases) {
      const r = await run(['account', 'reset-password', ...args])
      expect(r, args.join(' ')).toMatchObject({ code, stdout: '' })
      expect(r.stderr.split('\n')[0]).toBe(`tinycrm: ${message}`)
    }
  })
})

describe('account tokens', () => {
  it('creates a token that reads the account API, lists it, and revokes it', async () => {
    const a = ['--account', 'tokens@example.com']
    await run(['account', 'create', '--email', 'tokens@example.com', ...PW])
    const created = await run(['token', 'create', ...a, '--name', 'nightly report'])
    expect(created).toMatchObject({ code: 0, stderr: '' })
    const token = lastLine(created.stdout)
    expect(token).toMatch(/^tcrm_acct_[0-9A-Za-z]{32}$/)
    const app = createApp({ db: t.db })
    const read = () =>
      app.request('/v1/customers', { headers: { Authorization: `Bearer ${token}` } })
    expect((await read()).status).toBe(200)

    const [listed] = JSON.parse((await run(['token', 'list', ...a, '--json'])).stdout)
    expect(listed).toMatchObject({
      name: 'nightly report',
      prefix: token.slice(0, 16),
      revokedAt: null,
      lastUsedAt: expect.any(String),
    })
    const table = await run(['token', 'list', ...a])
    expect(table.stdout).toMatch(/^ID +PREFIX +CREATED \(UTC\) +LAST USED +STATUS +NAME\n/)
    expect(table.stdout).toContain(`${token.slice(0, 16)}…`)

    // Another account cannot revoke it by id.
    await run(['account', 'create', '--email', 'other-tokens@example.com', ...PW])
    const id = String(listed.id)
    expect(
      await run(['token', 'revoke', '--account', 'other-tokens@example.com', '--id', id]),
    ).toMatchObject({
      code: 1,
      stderr: `tinycrm: The account of other-tokens@example.com has no active token ${id} (see: token list)\n`,
    })
    expect((await read()).status).toBe(200)
    expect(await run(['token', 'revoke', ...a, '--id', id])).toMatchObject({
      code: 0,
      stdout: `Revoked token ${id} of the account of tokens@example.com.\n`,
    })
    expect((await read()).status).toBe(403)
    expect((await run(['token', 'revoke', ...a, '--id', id])).code).toBe(1)
  })

  it('names the bad field', async () => {
    const a = ['--account', 'tokens@example.com']
    expect(await run(['token', 'create', ...a, '--name', ' '])).toMatchObject({
      code: 1,
      stderr: 'tinycrm: name must be 1 to 80 characters\n',
    })
    // Not a number: wrong usage (2, with the command's usage), as the README's exit codes say.
    const notAnId = await run(['token', 'revoke', ...a, '--id', 'tcrm_acct_x'])
    expect(notAnId.code).toBe(2)
    expect(notAnId.stderr).toBe(
      "tinycrm: --id must be a token id (a number), got 'tcrm_acct_x'\n" +
        'Usage: npm run tinycrm -- token revoke --account EMAIL --id ID\n' +
        'More: npm run tinycrm -- token revoke --help\n',
    )
    expect((await run(['token', 'list'])).stderr.split('\n')[0]).toBe('tinycrm: Missing --account')
  })
})
