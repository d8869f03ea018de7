// `token create|list|revoke`: account tokens (tcrm_acct_…) for scripts, from the command line, so
// a CLI- or Worker-only user can read their customers through the account API without ever
// opening the dashboard. The token is shown once (last line of stdout); only its hash is stored.
import { createAccountToken, listAccountTokens, revokeAccountToken } from '../account-api/tokens.js'
import { normaliseEmail } from '../accounts/store.js'
import {
  CliError,
  UsageError,
  formatDate,
  formatTable,
  str,
  toJson,
  type Command,
} from './command.js'
import { requireAccount } from './lookup.js'

export const tokenCreate: Command = {
  name: 'token create',
  summary: 'Create an account token (read the account API, merge, delete) and print it',
  usage: '--account EMAIL --name NAME',
  help:
    'NAME (1 to 80 characters) says what the token is for. The token is shown this once, as the\n' +
    'last line of stdout; use it as `Authorization: Bearer tcrm_acct_…` on /v1/customers & co.\n\n' +
    'Example:\n' +
    '  TOKEN=$(npm run -s tinycrm -- token create --account me@example.com --name reports | tail -n 1)',
  options: { account: { type: 'string' }, name: { type: 'string' } },
  required: ['account', 'name'],
  async run({ db, values, io }) {
    const email = str(values, 'account')!
    const accountId = await requireAccount(db, email)
    const token = await createAccountToken(db, accountId, str(values, 'name')!)
    io.stdout(
      `Created token ${token.id} (${token.name}) for the account of ${normaliseEmail(email)}.\n` +
        `The token, shown this once:\n${token.token}\n`,
    )
  },
}

export const tokenList: Command = {
  name: 'token list',
  summary: "List an account's tokens (prefixes only), last use and whether they are revoked",
  usage: '--account EMAIL [--json]',
  help: '--json prints an array of { id, name, prefix, createdAt, lastUsedAt, revokedAt }.',
  options: { account: { type: 'string' }, json: { type: 'boolean' } },
  required: ['account'],
  async run({ db, values, io }) {
    const tokens = await listAccountTokens(db, await requireAccount(db, str(values, 'account')!))
    const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null)
    if (values.json) {
      io.stdout(
        toJson(
          tokens.map((t) => ({
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            createdAt: iso(t.created_at),
            lastUsedAt: iso(t.last_used_at),
            revokedAt: iso(t.revoked_at),
          })),
        ),
      )
      return
    }
    if (tokens.length === 0) {
      io.stdout(
        'No tokens yet. Create one: npm run tinycrm -- token create --account EMAIL --name NAME\n',
      )
      return
    }
    io.stdout(
      formatTable(
        ['ID', 'PREFIX', 'CREATED (UTC)', 'LAST USED', 'STATUS', 'NAME'],
        tokens.map((t) => [
          String(t.id),
          `${t.prefix}…`,
          formatDate(t.created_at),
          formatDate(t.last_used_at),
          t.revoked_at ? `revoked ${formatDate(t.revoked_at)}` : 'active',
          t.name,
        ]),
      ),
    )
  },
}

export const tokenRevoke: Command = {
  name: 'token revoke',
  summary: 'Revoke an account token (requests with it get 403 from then on)',
  usage: '--account EMAIL --id ID',
  help: 'ID is the number shown by `token list`. Exits 1 when the account has no such active token.',
  options: { account: { type: 'string' }, id: { type: 'string' } },
  required: ['account', 'id'],
  async run({ db, values, io }) {
    const raw = str(values, 'id')!.trim()
    if (!/^\d{1,15}$/.test(raw))
      throw new UsageError(`--id must be a token id (a number), got '${raw}'`)
    const email = normaliseEmail(str(values, 'account')!)
    const revoked = await revokeAccountToken(db, await requireAccount(db, email), Number(raw))
    if (!revoked) {
      throw new CliError(`The account of ${email} has no active token ${raw} (see: token list)`)
    }
    io.stdout(`Revoked token ${raw} of the account of ${email}.\n`)
  },
}
