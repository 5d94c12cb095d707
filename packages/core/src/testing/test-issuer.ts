import { exportJWK, generateKeyPair, type CryptoKey as JoseKey, SignJWT } from 'jose'
import { getBuiltin } from '../runtime.js'
import type { JWK, JWTClaims } from '../types.js'

/** Algorithms the test issuer can sign with. */
export type TestAlgorithm = 'RS256' | 'ES256' | 'EdDSA' | 'PS256' | 'ES384' | 'RS384' | 'RS512' | 'ES512'

/** How the test issuer's endpoints behave; tests switch it at will. */
export type TestIssuerMode =
  | { kind: 'ok' }
  /** Answer every JWKS/discovery request with this status. */
  | { kind: 'status'; status: number }
  /** Answer 200 with this raw body (garbage, wrong shape…). */
  | { kind: 'body'; body: string; contentType?: string }
  /** Never answer (until the mode changes or the issuer closes). */
  | { kind: 'hang' }

export interface TestIssuerOptions {
  /** Key algorithms to create, one key each. Default `['RS256', 'ES256', 'EdDSA']`. */
  algorithms?: readonly TestAlgorithm[]
  /** Audience put in minted tokens. Default `'https://api.test'`. */
  audience?: string
  /** Issuer URL; default the loopback URL it listens on (set by `listen()`). */
  issuer?: string
  /** `Cache-Control` header of the JWKS response. Default none. */
  cacheControl?: string
  /** Answer `If-None-Match` with 304 when the ETag matches. Default true. */
  etag?: boolean
  /** Clock for `iat`/`exp` (ms since epoch). */
  clock?: () => number
}

export interface SignOptions {
  /** Algorithm (one of the issuer's keys). Default: the first key's. */
  alg?: TestAlgorithm
  /** Override the header's `kid` (e.g. a random one). */
  kid?: string
  /** Extra protected-header members (`typ`, `jku`, …). */
  header?: Record<string, unknown>
  /** Lifetime in seconds. Default 300. */
  expiresIn?: number
  /** Registered claims to leave out (e.g. `['exp']`, `['aud']`). */
  omit?: readonly string[]
}

/** A key pair held by the test issuer. */
export interface TestKey {
  kid: string
  alg: TestAlgorithm
  privateKey: JoseKey
  publicJwk: JWK
}

/** Counters of requests the issuer served, for asserting fetch counts. */
export interface TestIssuerCounters {
  jwks: number
  discovery: number
}

/**
 * A throwaway OIDC-ish issuer for tests: keys, a JWKS and discovery documents, token minting,
 * rotation and outages — served by `handle()` (fetch-style) and, after `listen()`, over real
 * HTTP on 127.0.0.1. Keygate's own tests and users' tests share it.
 *
 * @example
 * const issuer = await createTestIssuer()
 * await issuer.listen()
 * const auth = createAuth({ issuer: issuer.issuer, audience: issuer.audience, jwksUri: issuer.jwksUri })
 * await auth.verify(await issuer.sign({ sub: 'alice' }))
 */
export interface TestIssuer {
  /** `iss` of minted tokens (the loopback base URL after `listen()`). */
  readonly issuer: string
  readonly audience: string
  readonly jwksUri: string
  /** Current signing keys (published in the JWKS). */
  readonly keys: readonly TestKey[]
  readonly counters: TestIssuerCounters
  /** Starts a real HTTP server on 127.0.0.1 (random port). */
  listen(): Promise<string>
  /** Mints a signed token. Claims default to `iss`, `aud`, `sub: 'user-1'`, `iat`, `exp`. */
  sign(claims?: JWTClaims, options?: SignOptions): Promise<string>
  /** Adds new keys (one per algorithm) and, unless `keepOld`, removes the old ones. */
  rotate(options?: { keepOld?: boolean }): Promise<void>
  /** Sets how the endpoints answer. */
  setMode(mode: TestIssuerMode): void
  /** Sets the JWKS `Cache-Control` header (undefined removes it). */
  setCacheControl(value: string | undefined): void
  /** The JWKS currently published. */
  jwks(): { keys: JWK[] }
  /** Serves `/.well-known/jwks.json`, `/.well-known/openid-configuration`, `/.well-known/oauth-authorization-server`. */
  handle(request: Request): Promise<Response>
  /** A `fetch` bound to `handle` (no sockets), for injected-fetch tests. */
  readonly fetch: typeof fetch
  close(): Promise<void>
}

interface NodeServer {
  listen(port: number, host: string, cb: () => void): void
  address(): { port: number } | string | null
  close(cb?: (err?: Error) => void): void
  closeAllConnections?(): void
}

interface NodeHttp {
  createServer(
    handler: (
      req: AsyncIterable<Uint8Array> & {
        method?: string
        url?: string
        headers: Record<string, string | string[] | undefined>
      },
      res: {
        writeHead(status: number, headers: Record<string, string>): void
        end(body?: Uint8Array): void
        on(event: 'close', cb: () => void): void
      },
    ) => void,
  ): NodeServer
}

let kidCounter = 0

async function createKey(alg: TestAlgorithm): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const publicJwk = (await exportJWK(publicKey)) as JWK
  kidCounter += 1
  const kid = `test-${alg.toLowerCase()}-${kidCounter}-${Math.random().toString(36).slice(2, 8)}`
  return { kid, alg, privateKey, publicJwk: { ...publicJwk, kid, alg, use: 'sig' } }
}

/** Creates a test issuer; see {@link TestIssuer}. */
export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const algorithms = options.algorithms ?? ['RS256', 'ES256', 'EdDSA']
  const clock = options.clock ?? Date.now
  let keys: TestKey[] = await Promise.all(algorithms.map(createKey))
  let mode: TestIssuerMode = { kind: 'ok' }
  let cacheControl = options.cacheControl
  let issuerUrl = options.issuer ?? 'https://issuer.test'
  const audience = options.audience ?? 'https://api.test'
  const counters: TestIssuerCounters = { jwks: 0, discovery: 0 }
  const hangs = new Set<() => void>()
  let server: NodeServer | undefined

  const jwks = () => ({ keys: keys.map((k) => k.publicJwk) })
  const etagOf = (body: string) => {
    let h = 0
    for (let i = 0; i < body.length; i++) h = (Math.imul(h, 31) + body.charCodeAt(i)) | 0
    return `"${(h >>> 0).toString(16)}-${body.length}"`
  }

  async function handle(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname
    const isJWKS = path === '/.well-known/jwks.json'
    const isDiscovery =
      path === '/.well-known/openid-configuration' || path === '/.well-known/oauth-authorization-server'
    if (!isJWKS && !isDiscovery) return new Response('not found', { status: 404 })
    if (isJWKS) counters.jwks += 1
    else counters.discovery += 1
    const current = mode
    if (current.kind === 'hang') {
      return new Promise<Response>((resolve) => {
        const release = () => resolve(new Response('released', { status: 503 }))
        hangs.add(release)
        request.signal?.addEventListener('abort', () => {
          hangs.delete(release)
          release()
        })
      })
    }
    if (current.kind === 'status') return new Response('failure', { status: current.status })
    if (current.kind === 'body') {
      return new Response(current.body, {
        headers: { 'content-type': current.contentType ?? 'application/json' },
      })
    }
    if (isDiscovery) {
      return Response.json({ issuer: issuerUrl, jwks_uri: `${issuerUrl}/.well-known/jwks.json` })
    }
    const body = JSON.stringify(jwks())
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (cacheControl) headers['cache-control'] = cacheControl
    if (options.etag !== false) {
      const etag = etagOf(body)
      headers.etag = etag
      if (request.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers })
    }
    return new Response(body, { headers })
  }

  const testIssuer: TestIssuer = {
    get issuer() {
      return issuerUrl
    },
    audience,
    get jwksUri() {
      return `${issuerUrl}/.well-known/jwks.json`
    },
    get keys() {
      return keys
    },
    counters,
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) =>
      handle(new Request(input, init))) as typeof fetch,
    handle,
    jwks,
    setMode(next) {
      mode = next
      if (next.kind !== 'hang') {
        for (const release of hangs) release()
        hangs.clear()
      }
    },
    setCacheControl(value) {
      cacheControl = value
    },
    async rotate(rotateOptions = {}) {
      const fresh = await Promise.all(algorithms.map(createKey))
      keys = rotateOptions.keepOld ? [...fresh, ...keys] : fresh
    },
    async sign(claims = {}, signOptions = {}) {
      const alg = signOptions.alg ?? keys[0]!.alg
      const key = keys.find((k) => k.alg === alg)
      if (!key) throw new Error(`test issuer has no ${alg} key`)
      const now = Math.floor(clock() / 1000)
      const base: JWTClaims = {
        iss: issuerUrl,
        aud: audience,
        sub: 'user-1',
        iat: now,
        exp: now + (signOptions.expiresIn ?? 300),
      }
      const payload: Record<string, unknown> = { ...base, ...claims }
      for (const name of signOptions.omit ?? []) delete payload[name]
      const header = { alg, kid: signOptions.kid ?? key.kid, ...signOptions.header }
      return new SignJWT(payload).setProtectedHeader(header).sign(key.privateKey)
    },
    async listen() {
      if (server) return issuerUrl
      const http = getBuiltin<NodeHttp>('node:http')
      if (!http) throw new Error('listen() needs node:http; use handle() or fetch on this runtime')
      const srv = http.createServer(async (req, res) => {
        const chunks: Uint8Array[] = []
        for await (const chunk of req) chunks.push(chunk)
        const headers = new Headers()
        for (const [name, value] of Object.entries(req.headers)) {
          if (typeof value === 'string') headers.set(name, value)
          else if (Array.isArray(value)) for (const v of value) headers.append(name, v)
        }
        const abort = new AbortController()
        res.on('close', () => abort.abort())
        const response = await handle(
          new Request(`http://127.0.0.1${req.url ?? '/'}`, {
            method: req.method,
            headers,
            signal: abort.signal,
          }),
        )
        const out: Record<string, string> = {}
        response.headers.forEach((value, name) => {
          out[name] = value
        })
        res.writeHead(response.status, out)
        res.end(new Uint8Array(await response.arrayBuffer()))
      })
      await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
      const address = srv.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server = srv
      if (!options.issuer) issuerUrl = `http://127.0.0.1:${port}`
      return issuerUrl
    },
    async close() {
      for (const release of hangs) release()
      hangs.clear()
      const srv = server
      server = undefined
      if (!srv) return
      srv.closeAllConnections?.()
      await new Promise<void>((resolve) => srv.close(() => resolve()))
    },
  }
  return testIssuer
}
