// vitest globalSetup of the `browser` project: the htmx file must be in public/assets/vendor/
// (npm test copies it; a bare `npx vitest` does not), and Debian's Chromium must be installed.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { CHROMIUM_PATH } from './harness.js'

export default function setup() {
  execFileSync(process.execPath, ['scripts/copy-assets.mjs'], { stdio: 'inherit' })
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: run \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`,
    )
  }
}
