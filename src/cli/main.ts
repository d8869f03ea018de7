// `npm run tinycrm -- <command>`: the command-line tool for accounts, projects and API keys
// (see ./run.ts for the commands). It exits as soon as the command is done: the database is
// closed and the data directory's lock released before the exit code is set.
import { runCli } from './run.js'

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** Reads one line from the terminal without echoing it. */
function promptPassword(): Promise<string> {
  const stdin = process.stdin
  process.stderr.write('Password: ')
  stdin.setRawMode(true)
  stdin.setEncoding('utf8')
  stdin.resume()
  return new Promise((resolve) => {
    let typed = ''
    const onData = (data: string) => {
      for (const ch of data) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          stdin.off('data', onData)
          stdin.setRawMode(false)
          stdin.pause()
          process.stderr.write('\n')
          return resolve(typed)
        }
        if (ch === '\u0003') {
          stdin.setRawMode(false)
          process.stderr.write('\n')
          process.exit(130) // Ctrl-C, as a shell reports it
        }
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1)
        else typed += ch
      }
    }
    stdin.on('data', onData)
  })
}

// Ctrl-C or a kill mid-command: exit through process.exit so the data directory's lock is released.
process.on('SIGINT', () => process.exit(130))
process.on('SIGTERM', () => process.exit(143))

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  readStdin,
  promptPassword: process.stdin.isTTY ? promptPassword : undefined,
})
// Explicit exit: nothing the database drivers leave behind may keep the process alive. Writes to
// pipes and files are synchronous on Linux and macOS, so no output is lost.
process.exit(code)
