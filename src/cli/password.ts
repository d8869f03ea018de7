// Where `account create` and `account reset-password` take the password from. A password typed on the command line lands in
// shell history and `ps`, so scripts should pipe it (`--password -`) or set TINYCRM_PASSWORD;
// `--password VALUE` still works for a quick local try. At a terminal it is asked for, unechoed.
import { UsageError, str, type CliIo, type Values } from './command.js'

export const PASSWORD_SOURCES =
  '--password - (read the first line of stdin), TINYCRM_PASSWORD in the environment, ' +
  'or --password VALUE'

export async function readPassword(values: Values, io: CliIo, command: string): Promise<string> {
  const flag = str(values, 'password')
  const env = io.env.TINYCRM_PASSWORD
  // At a terminal, `--password -` or no password at all asks for it without echoing it.
  if (io.promptPassword && (flag === '-' || (flag === undefined && !env))) {
    return io.promptPassword()
  }
  if (flag === '-') {
    const text = await io.readStdin()
    // The first line only, without its line ending: `echo "$PW" | …` and a file both work.
    return text.split(/\r?\n/)[0] ?? ''
  }
  if (flag !== undefined) return flag
  if (env !== undefined && env !== '') return env
  throw new UsageError(`${command} needs a password: ${PASSWORD_SOURCES}`)
}
