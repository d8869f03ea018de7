// The one error path: what each kind of failure becomes, what the client sees, what is logged.
import { Hono } from 'hono/tiny'
import { HTTPException } from 'hono/http-exception'
import { requestId } from 'hono/request-id'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { HonoEnv } from '../../env.js'
import { ApiError } from '../../lib/errors.js'
import { onError, toApiError, type ErrorResponder } from './index.js'

afterEach(() => vi.restoreAllMocks())

describe('toApiError', () => {
  it('keeps an ApiError as it is', () => {
    const err = new ApiError('conflict', 'changed since')
    expect(toApiError(err)).toBe(err)
  })

  it('maps Hono’s 413 and 400 exceptions, and hides any other', () => {
    expect(toApiError(new HTTPException(413)).code).toBe('payload_too_large')
    expect(toApiError(new HTTPException(400, { message: 'Malformed JSON' }))).toMatchObject({
      code: 'invalid_json',
      message: 'Malformed JSON',
    })
    expect(toApiError(new HTTPException(418, { message: 'teapot' }))).toMatchObject({
      code: 'internal',
      message: 'Internal error',
    })
  })

  it('a value Postgres refuses (class 22) is a 400, an outage a 503 with Retry-After', () => {
    expect(toApiError(Object.assign(new Error('bad'), { code: '22P05' })).code).toBe(
      'validation_failed',
    )
    const outage = toApiError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))
    expect(outage).toMatchObject({ code: 'unavailable', headers: { 'Retry-After': '2' } })
  })

  it('anything else is an internal error that says nothing of its cause', () => {
    expect(toApiError(new Error('SELECT secret FROM x'))).toMatchObject({
      code: 'internal',
      message: 'Internal error',
    })
  })
})

describe('onError', () => {
  function appThrowing(err: unknown, respond?: ErrorResponder) {
    const app = new Hono<HonoEnv>()
    app.onError(onError(respond))
    app.use(requestId())
    app.get('/', () => {
      throw err
    })
    return app
  }

  it('answers the JSON envelope with the code’s status and headers', async () => {
    const res = await appThrowing(
      new ApiError('rate_limited', 'slow down', undefined, { 'Retry-After': '7' }),
    ).request('/')
    expect(res.status).toBe(429)
    expect(res.headers.get('Retry-After')).toBe('7')
    expect(await res.json()).toEqual({
      error: { code: 'rate_limited', message: 'slow down', requestId: expect.any(String) },
    })
  })

  it('logs an internal error with the request id the client was given, and nothing else', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const res = await appThrowing(new Error('boom')).request('/')
    const body = (await res.json()) as { error: { requestId: string } }
    expect(res.status).toBe(500)
    expect(log).toHaveBeenCalledTimes(1)
    expect(String(log.mock.calls[0]![0])).toContain(body.error.requestId)
    await appThrowing(new ApiError('not_found', 'no')).request('/')
    expect(log).toHaveBeenCalledTimes(1)
  })

  it('hands the error to the sub-app’s own responder', async () => {
    const res = await appThrowing(new ApiError('forbidden', 'no'), (c, error) =>
      c.text(`page: ${error.message}`, error.status),
    ).request('/')
    expect(res.status).toBe(403)
    expect(await res.text()).toBe('page: no')
  })
})
