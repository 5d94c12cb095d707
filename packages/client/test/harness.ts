import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAuth, createIssuer, createMemoryIssuerStore } from '@keygate/core'
import { fromNodeRequest, httpError, sendIssuerResponse, toIssuerRequest } from '@keygate/core/http'
import type { IssuerOptions } from '@keygate/core/issue'

export const AUDIENCE = 'https://orders.internal'
const ENCRYPTION_KEY = 'client-test-encryption-key-0123456789abcdef'

type Issuer = ReturnType<typeof createIssuer>

/** A listening node:http server on 127.0.0.1 and its origin. */
export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>,
): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((error: unknown) => {
      res.statusCode = 500
      res.end(String(error))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export interface Harness {
  issuerUrl: string
  apiUrl: string
  otherUrl: string
  issuer(): Issuer
  /** A new issuer instance on the same store: what a restarted process is. */
  restartIssuer(): void
  /** Requests per issuer path (`/token`, `/.well-known/oauth-authorization-server`, …). */
  hits: Map<string, number>
  /** Grant types seen at `/token`, in order. */
  grants: string[]
  /** Authorization headers the other origin received. */
  otherSeen: Array<{ path: string; authorization: string | undefined }>
  /** Requests the API answered, by path, with the status it gave. */
  apiSeen: Array<{ path: string; status: number; authorization: string | undefined }>
  /** The API refuses this access token from now on (401 invalid_token): a revoked token. */
  refuse(token: string): void
  /** The API refuses every token (401 invalid_token) while this is on. */
  refuseAll(on: boolean): void
  createKey(permissions?: string[]): Promise<{ id: string; key: string }>
  close(): Promise<void>
}

/**
 * The real Keygate issuer behind node:http (`toIssuerRequest` / `sendIssuerResponse`), a
 * protected API verifying its tokens with `createAuth`, and a second origin on another port.
 */
export async function startHarness(issuerOptions: Partial<IssuerOptions> = {}): Promise<Harness> {
  const store = createMemoryIssuerStore()
  const hits = new Map<string, number>()
  const grants: string[] = []
  let issuer: Issuer | undefined
  const issuerServer = await listen(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    hits.set(path, (hits.get(path) ?? 0) + 1)
    const body = await readText(req)
    if (path === '/token') grants.push(new URLSearchParams(body).get('grant_type') ?? '')
    const request = toIssuerRequest(req, { clientAddress: req.socket.remoteAddress, body })
    sendIssuerResponse(res, await issuer!.respond(request))
  })
  const issuerUrl = issuerServer.url
  const make = () =>
    createIssuer({
      issuer: issuerUrl,
      audience: AUDIENCE,
      store,
      encryptionKey: ENCRYPTION_KEY,
      signing: { algorithm: 'ES256' },
      ...issuerOptions,
    })
  issuer = make()
  await issuer.ready()

  const auth = createAuth({
    issuer: issuerUrl,
    audience: AUDIENCE,
    jwksUri: `${issuerUrl}/.well-known/jwks.json`,
  })
  const refused = new Set<string>()
  let refusingAll = false
  const apiSeen: Harness['apiSeen'] = []
  const otherSeen: Harness['otherSeen'] = []
  let otherUrl = ''
  const unavailableOnce = new Set<string>()

  const api = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const authorization = req.headers.authorization
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      apiSeen.push({ path: url.pathname, status, authorization })
      res.writeHead(status, { 'content-type': 'application/json', ...headers })
      res.end(JSON.stringify(body))
    }
    if (url.pathname === '/redirect') {
      // Unauthenticated on purpose: the redirect itself is what is tested.
      const to = url.searchParams.get('to') ?? '/orders'
      const target = to.startsWith('other:') ? `${otherUrl}${to.slice(6)}` : to
      apiSeen.push({
        path: url.pathname,
        status: Number(url.searchParams.get('status') ?? 302),
        authorization,
      })
      await readText(req)
      res.writeHead(Number(url.searchParams.get('status') ?? 302), { location: target })
      res.end()
      return
    }
    const token = authorization?.replace(/^Bearer /, '')
    if (token !== undefined && (refusingAll || refused.has(token))) {
      await readText(req)
      return answer(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' })
    }
    const result = await auth.authenticate(fromNodeRequest(req))
    if (!result.ok) {
      await readText(req)
      const { status, headers, body } = httpError(result.error)
      return answer(status, body, headers)
    }
    const body = await readText(req)
    if (url.pathname === '/forbidden') return answer(403, { error: 'insufficient_scope' })
    if (url.pathname === '/unavailable') {
      const key = `${url.search}`
      if (!unavailableOnce.has(key)) {
        unavailableOnce.add(key)
        return answer(
          503,
          { error: 'temporarily_unavailable' },
          { 'retry-after': url.searchParams.get('after') ?? '1' },
        )
      }
    }
    return answer(200, { subject: result.principal.subject, method: req.method, body })
  })

  const other = await listen(async (req, res) => {
    otherSeen.push({ path: req.url ?? '/', authorization: req.headers.authorization })
    await readText(req)
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ other: true }))
  })
  otherUrl = other.url

  return {
    issuerUrl,
    apiUrl: api.url,
    otherUrl,
    issuer: () => issuer!,
    restartIssuer() {
      issuer = make()
    },
    hits,
    grants,
    otherSeen,
    apiSeen,
    refuse: (token) => refused.add(token),
    refuseAll: (on) => {
      refusingAll = on
    },
    async createKey(permissions = ['orders:read']) {
      const { id, key } = await issuer!.apiKeys.create({
        subject: 'billing-svc',
        name: 'client-test',
        permissions,
      })
      return { id, key }
    },
    async close() {
      auth.close()
      await Promise.all([issuerServer.close(), api.close(), other.close()])
    },
  }
}

/** A fetch that sends at most `limit` requests at once and queues the rest, as a connection pool would. */
export function limitedFetch(limit: number): typeof fetch {
  let active = 0
  const waiting: Array<() => void> = []
  return async (input, init) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve))
    active += 1
    try {
      return await fetch(input, init)
    } finally {
      active -= 1
      waiting.shift()?.()
    }
  }
}

/** A monotonic clock that moves only when told, and a sleep that moves it instead of waiting. */
export function fakeClock(start = 1_000) {
  let now = start
  let wall = Date.now()
  return {
    now: () => now,
    wall: () => wall,
    advance(ms: number) {
      now += ms
      wall += ms
    },
    /** Moves the clock by `ms`, after a real millisecond so other work (an HTTP call) can progress. */
    async sleep(ms: number) {
      await new Promise((resolve) => setTimeout(resolve, 1))
      now += ms
      wall += ms
    },
  }
}
