// `account create` and `account list`: the owner's workspace and its login, without the dashboard.
import { MIN_PASSWORD_LENGTH, createAccount, normaliseEmail } from '../accounts/store.js'
import { CliError, formatDate, formatTable, str, toJson, type Command } from './command.js'
import { listAccounts } from './lookup.js'
import { PASSWORD_SOURCES, readPassword } from './password.js'

export const accountCreate: Command = {
  name: 'account create',
  summary: 'Create an account and its first user (the dashboard login)',
  usage: '--email EMAIL [--password -|VALUE] [--name NAME]',
  help:
    `The password comes from ${PASSWORD_SOURCES}; at least 8 characters.\n` +
    'The account name defaults to the email. On a fresh data directory this also creates the\n' +
    'database.\n\n' +
    'Example:\n' +
    '  printf \'%s\\n\' "$PW" | npm run tinycrm -- account create --email me@example.com --password -',
  options: {
    email: { type: 'string' },
    password: { type: 'string' },
    name: { type: 'string' },
  },
  required: ['email'],
  createsDatabase: true,
  async prepare(values, io) {
    // Asked for (or read from stdin) before a new database takes seconds to create.
    values.password = await readPassword(values, io)
    if (values.password.length < MIN_PASSWORD_LENGTH) {
      throw new CliError(`password must be at least ${MIN_PASSWORD_LENGTH} characters`)
    }
  },
  async run({ db, values, io }) {
    const email = str(values, 'email')!
    const password = str(values, 'password')!
    const { accountId } = await createAccount(db, { email, password, name: str(values, 'name') })
    io.stdout(
      `Created account ${accountId} for ${normaliseEmail(email)}.\n` +
        `Next: npm run tinycrm -- project create --account ${normaliseEmail(email)} --name "My App"\n`,
    )
  },
}

export const accountList: Command = {
  name: 'account list',
  summary: 'List accounts: id, users, name, number of projects',
  usage: '[--json]',
  help: '--json prints an array of { id, name, emails, projects, createdAt } for scripts.',
  options: { json: { type: 'boolean' } },
  async run({ db, values, io }) {
    const rows = await listAccounts(db)
    if (values.json) {
      io.stdout(
        toJson(
          rows.map((r) => ({
            id: r.id,
            name: r.name,
            emails: r.emails ? r.emails.split(', ') : [],
            projects: r.projects ?? 0,
            createdAt: new Date(r.created_at).toISOString(),
          })),
        ),
      )
      return
    }
    if (rows.length === 0) {
      io.stdout('No accounts yet. Create one: npm run tinycrm -- account create --email EMAIL\n')
      return
    }
    io.stdout(
      formatTable(
        ['ID', 'EMAIL', 'PROJECTS', 'CREATED (UTC)', 'NAME'],
        rows.map((r) => [
          String(r.id),
          r.emails ?? '-',
          String(r.projects ?? 0),
          formatDate(r.created_at),
          r.name,
        ]),
      ),
    )
  },
}
