// Which Chromium the browser tests drive, and how. Debian's chromium-headless-shell first: the same
// Blink and V8 as Debian's chromium, built for headless use only (what playwright itself runs for
// `headless: true`); measured on a 2-core VM, test/browser/builder.test.ts took 34 s and 26 s of
// CPU with it against 56 s and 43 s with the full browser in headless mode, and the suite is
// CPU-bound. The full chromium serves where only it is installed; CHROMIUM_PATH picks another.
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

const CANDIDATES = ['/usr/bin/chromium-headless-shell', '/usr/bin/chromium']

export const CHROMIUM_PATH =
  process.env.CHROMIUM_PATH ?? CANDIDATES.find((path) => existsSync(path)) ?? CANDIDATES[0]!

// Flags measured to work on this kind of machine (STACK-NOTES.md); playwright adds --headless
// and its own fresh --user-data-dir.
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS })
}
