/**
 * The database cut mid-load: a TCP proxy between the server and PostgreSQL drops every
 * connection, then lets them through again. While it is down the server answers 503 with
 * Retry-After (never 500, never 401 for a valid credential); afterwards it recovers by itself,
 * and every credential issued before, during or after still works exactly once.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ADMIN_TOKEN,
  DATABASE_URL,
  dropSchema,
  poll,
  productionEnv,
  type ServerProcess,
  startProcess,
  startProxy,
  type TCPProxy,
  uniqueSchema,
} from './harness.js'

const WORKERS = 6
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
const form = { 'content-type': 'application/x-www-form-urlencoded' }
const json = { 'content-type': 'application/json' }

interface Outcome {
  route: string
  status: number
  retryAfter: string | null
  phase: 'before' | 'down' | 'after'
}

const suite = DATABASE_URL ? describe : describe.skip
suite('keygate-server through a database outage (PostgreSQL behind a TCP proxy)', () => {
  const schema = uniqueSchema('outage')
  let proxy: TCPProxy
  let server: ServerProcess

  beforeAll(async () => {
    const database = new URL(DATABASE_URL!)
    proxy = await startProxy(database.hostname, Number(database.port || 5432))
    const viaProxy = new URL(DATABASE_URL!)
    viaProxy.hostname = '127.0.0.1'
    viaProxy.port = String(proxy.port)
    server = await startProcess(
      productionEnv({ database: { url: viaProxy.toString(), schema }, extra: { KEYGATE_LOG_LEVEL: 'info' } }),
    )
  })
  afterAll(async () => {
    proxy?.restore()
    if (server && server.child.exitCode !== null) console.error(server.stderr.join(''))
    if (server) expect(await server.stop()).toBe(0)
    await proxy?.close()
    await dropSchema(schema)
  })

  it('answers 503 + Retry-After while the database is down, recovers by itself, and loses nothing', async () => {
    const base = server.url
    const created = await fetch(`${base}/admin/api-keys`, {
      method: 'POST',
      headers: { ...json, ...admin },
      body: JSON.stringify({ subject: 'svc-load', name: 'load' }),
    })
    expect(created.status).toBe(201)
    const { id, key } = (await created.json()) as { id: string; key: string }
    const basic = `Basic ${Buffer.from(`${id}:${key}`).toString('base64')}`
    const callers = await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        const caller = { key: randomBytes(16).toString('hex'), identifier: randomUUID() }
        const registered = await fetch(`${base}/register_key`, {
          method: 'POST',
          headers: { ...json, ...admin },
          body: JSON.stringify(caller),
        })
        expect(registered.status).toBe(201)
        return caller
      }),
    )

    const outcomes: Outcome[] = []
    const noAnswer: string[] = []
    let phase: Outcome['phase'] = 'before'
    let running = true
    // The newest refresh token of each worker's OAuth chain and JWThenticator session: after the
    // outage each must still work — a 503 must not have consumed one without handing out the next.
    const chains: Array<string | undefined> = Array.from({ length: WORKERS })
    const sessions: Array<string | undefined> = Array.from({ length: WORKERS })
    // A request that gets no answer at all is recorded (with the socket error and whether the
    // server still runs) and counted as status 599, so a failure says what happened.
    const send = async (url: string, init: RequestInit): Promise<Response> => {
      try {
        return await globalThis.fetch(url, init)
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code ?? 'unknown'
        const exited = server.child.exitCode ?? server.child.signalCode
        noAnswer.push(`${url}: ${cause}; server exit: ${exited}`)
        return new Response(null, { status: 599 })
      }
    }
    const record = (route: string, response: Response) => {
      outcomes.push({
        route,
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        phase,
      })
    }
    const worker = async (n: number) => {
      const caller = callers[n]!
      for (let i = 0; running; i++) {
        const step = i % 4
        if (step === 0) {
          const response = await send(`${base}/token`, {
            method: 'POST',
            headers: { ...form, authorization: basic },
            body: 'grant_type=client_credentials',
          })
          record('token', response)
          if (response.status === 200)
            chains[n] ??= ((await response.json()) as { refresh_token: string }).refresh_token
          else await response.arrayBuffer()
        } else if (step === 1 && chains[n]) {
          const response = await send(`${base}/token`, {
            method: 'POST',
            headers: { ...form, authorization: basic },
            body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(chains[n]!)}`,
          })
          record('token/refresh', response)
          if (response.status === 200)
            chains[n] = ((await response.json()) as { refresh_token: string }).refresh_token
          else await response.arrayBuffer()
        } else if (step === 2) {
          const response = await send(`${base}/authenticate`, {
            method: 'POST',
            headers: json,
            body: JSON.stringify(caller),
          })
          record('authenticate', response)
          if (response.status === 200)
            sessions[n] = ((await response.json()) as { refresh_token: string }).refresh_token
          else await response.arrayBuffer()
        } else if (step === 3 && sessions[n]) {
          const response = await send(`${base}/refresh`, {
            method: 'POST',
            headers: json,
            body: JSON.stringify({ refresh_token: sessions[n], identifier: caller.identifier }),
          })
          record('refresh', response)
          await response.arrayBuffer()
        }
      }
    }
    const load = Promise.all(Array.from({ length: WORKERS }, (_, n) => worker(n)))
    const count = (p: Outcome['phase'], status: number) =>
      outcomes.filter((o) => o.phase === p && o.status === status).length

    try {
      await poll('traffic before the outage', () => count('before', 200) >= 100)
      phase = 'down'
      proxy.cut()
      await poll('503s while the database is down', () => count('down', 503) >= 30)
      const readiness = await fetch(`${base}/readyz`)
      expect(readiness.status).toBe(503)
      expect(readiness.headers.get('retry-after')).not.toBeNull()
      proxy.restore()
      await poll(
        'the database to be reachable again',
        async () => (await fetch(`${base}/readyz`)).status === 200,
      )
      phase = 'after'
      await poll('traffic after the outage', () => count('after', 200) >= 100)
    } finally {
      running = false
      await load
    }

    // Every request accounted for: 200 or 503 (with Retry-After); no 500, no 401 for a valid credential.
    const statuses = new Set(outcomes.map((o) => o.status))
    expect(noAnswer).toEqual([])
    expect([...statuses].sort()).toEqual([200, 503])
    expect(outcomes.filter((o) => o.status === 503).every((o) => o.retryAfter !== null)).toBe(true)
    expect(count('before', 503)).toBe(0)
    // Every route worked again after recovery.
    for (const route of ['token', 'token/refresh', 'authenticate', 'refresh']) {
      expect(outcomes.some((o) => o.phase === 'after' && o.route === route && o.status === 200)).toBe(true)
    }
    // Nothing lost: each chain's newest refresh token refreshes once more, each key still authenticates.
    for (let n = 0; n < WORKERS; n++) {
      const refreshed = await fetch(`${base}/token`, {
        method: 'POST',
        headers: { ...form, authorization: basic },
        body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(chains[n]!)}`,
      })
      expect(refreshed.status).toBe(200)
      const session = await fetch(`${base}/refresh`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ refresh_token: sessions[n], identifier: callers[n]!.identifier }),
      })
      expect(session.status).toBe(200)
    }
    // Nothing duplicated: the API key and one record per registered JWThenticator key (they are
    // API keys underneath), however often each was used during the outage.
    const listed = await fetch(`${base}/admin/api-keys`, { headers: admin })
    expect(((await listed.json()) as { keys: unknown[] }).keys).toHaveLength(1 + WORKERS)
  })
})
