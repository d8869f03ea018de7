// vitest globalSetup of the `browser` project: the htmx file must be in public/assets/vendor/
// (npm test copies it; a bare `npx vitest` does not), the server's bundle must be as new as its
// sources (built as `npm start` builds it: the harness starts dist/node.js), and Debian's Chromium
// must be installed.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { CHROMIUM_PATH } from '../support/chromium.js'

export default function setup() {
  execFileSync(process.execPath, ['scripts/copy-assets.mjs'], { stdio: 'inherit' })
  execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "await (await import('./scripts/build-server.mjs')).buildServer()",
    ],
    { stdio: 'inherit' },
  )
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: run \`apt-get install -y chromium-headless-shell\` (or set CHROMIUM_PATH)`,
    )
  }
}
