// An app served over a loopback socket on a free port, for tests whose client is a real HTTP one
// (an SDK, Segment's library, a race of concurrent requests).
import { serve } from '@hono/node-server'
import type { AddressInfo } from 'node:net'

export interface Listening {
  baseUrl: string
  close(): Promise<void>
}

export function listen(
  fetch: (request: Request) => Response | Promise<Response>,
): Promise<Listening> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
      resolve({
        baseUrl: `http://127.0.0.1:${info.port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    )
  })
}
