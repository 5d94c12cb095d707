import { afterEach, describe, expect, it } from 'vitest'
import { AuthError } from '../errors.js'
import { createTestIssuer, type TestIssuer } from '../testing/test-issuer.js'
import { discoverJWKSUri } from './discovery.js'
import { createRemoteJWKS } from './remote.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function listening(): Promise<TestIssuer> {
  const issuer = await createTestIssuer({ algorithms: ['EdDSA'] })
  await issuer.listen()
  cleanups.push(() => issuer.close())
  return issuer
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; reason: string | undefined }> {
  try {
    await promise
  } catch (error) {
    if (!AuthError.is(error)) throw error
    return { code: error.code, reason: (error.cause as { reason?: string } | undefined)?.reason }
  }
  throw new Error('expected a rejection')
}

/** An injected fetch answering from a table of paths, recording what was asked. */
function scripted(routes: Record<string, () => Response>) {
  const requested: string[] = []
  const fetchImpl: typeof fetch = async (input) => {
    const url = String(input instanceof Request ? input.url : input)
    requested.push(url)
    const route = routes[new URL(url).pathname]
    return route ? route() : new Response('not found', { status: 404 })
  }
  return { requested, fetch: fetchImpl }
}

describe('discoverJWKSUri', () => {
  it('reads jwks_uri from the OpenID Connect metadata of a real issuer', async () => {
    const issuer = await listening()
    expect(await discoverJWKSUri(issuer.issuer)).toBe(issuer.jwksUri)
    expect(issuer.counters.discovery).toBe(1)
  })

  it('falls back to RFC 8414 metadata when the OpenID document is 404', async () => {
    const issuer = await listening()
    const requested: string[] = []
    const openIDMissing: typeof fetch = async (input, init) => {
      const url = String(input)
      requested.push(new URL(url).pathname)
      if (url.endsWith('/openid-configuration')) return new Response('missing', { status: 404 })
      return fetch(input, init)
    }
    expect(await discoverJWKSUri(issuer.issuer, { fetch: openIDMissing })).toBe(issuer.jwksUri)
    expect(requested).toEqual([
      '/.well-known/openid-configuration',
      '/.well-known/oauth-authorization-server',
    ])
    expect(issuer.counters.discovery).toBe(1)
  })

  it('for an issuer with a path, RFC 8414 inserts the well-known segment before the path', async () => {
    const issuerUrl = 'http://127.0.0.1:9/tenant-a'
    const { requested, fetch } = scripted({
      '/.well-known/oauth-authorization-server/tenant-a': () =>
        Response.json({ issuer: issuerUrl, jwks_uri: 'https://keys.example.test/tenant-a/jwks' }),
    })
    expect(await discoverJWKSUri(issuerUrl, { fetch })).toBe('https://keys.example.test/tenant-a/jwks')
    expect(requested).toEqual([
      'http://127.0.0.1:9/tenant-a/.well-known/openid-configuration',
      'http://127.0.0.1:9/.well-known/oauth-authorization-server/tenant-a',
    ])
  })

  it('rejects metadata whose issuer is not exactly the configured one', async () => {
    const issuer = await listening()
    const result = await failure(discoverJWKSUri(`${issuer.issuer}/`))
    expect(result).toEqual({ code: 'ERR_KEYS_UNAVAILABLE', reason: 'issuer' })
  })

  it('rejects a non-https jwks_uri off loopback', async () => {
    const issuerUrl = 'https://issuer.example.test'
    const { fetch } = scripted({
      '/.well-known/openid-configuration': () =>
        Response.json({ issuer: issuerUrl, jwks_uri: 'http://keys.example.test/jwks' }),
    })
    expect(await failure(discoverJWKSUri(issuerUrl, { fetch }))).toEqual({
      code: 'ERR_KEYS_UNAVAILABLE',
      reason: 'shape',
    })
  })

  it('accepts http jwks_uri on loopback hosts only', async () => {
    for (const host of ['127.0.0.1:8080', 'localhost', '[::1]:3000']) {
      const issuerUrl = 'https://issuer.example.test'
      const { fetch } = scripted({
        '/.well-known/openid-configuration': () =>
          Response.json({ issuer: issuerUrl, jwks_uri: `http://${host}/jwks` }),
      })
      expect(await discoverJWKSUri(issuerUrl, { fetch })).toBe(`http://${host}/jwks`)
    }
  })

  it('a server error is not a fallback reason: it fails', async () => {
    const issuer = await listening()
    issuer.setMode({ kind: 'status', status: 500 })
    expect(await failure(discoverJWKSUri(issuer.issuer))).toEqual({
      code: 'ERR_KEYS_UNAVAILABLE',
      reason: 'status',
    })
    expect(issuer.counters.discovery).toBe(1)
  })

  it('garbage metadata and a missing jwks_uri fail', async () => {
    const issuer = await listening()
    issuer.setMode({ kind: 'body', body: 'not json' })
    expect((await failure(discoverJWKSUri(issuer.issuer))).reason).toBe('json')
    const issuerUrl = 'https://issuer.example.test'
    const { fetch } = scripted({
      '/.well-known/openid-configuration': () => Response.json({ issuer: issuerUrl }),
    })
    expect((await failure(discoverJWKSUri(issuerUrl, { fetch }))).reason).toBe('shape')
  })

  it('both documents missing is a failure', async () => {
    const { fetch, requested } = scripted({})
    expect((await failure(discoverJWKSUri('https://issuer.example.test', { fetch }))).code).toBe(
      'ERR_KEYS_UNAVAILABLE',
    )
    expect(requested).toHaveLength(2)
  })

  it('a malformed issuer is a configuration error', async () => {
    expect((await failure(discoverJWKSUri('not a url'))).code).toBe('ERR_CONFIGURATION')
  })
})

describe('createRemoteJWKS with discovery', () => {
  it('discovers once, then fetches the JWKS; the discovered URI is cached', async () => {
    const issuer = await listening()
    let now = 1_700_000_000_000
    const source = createRemoteJWKS({ issuer: issuer.issuer, clock: () => now, refreshAhead: 1 })
    cleanups.push(() => source.close())
    expect(source.jwksUri).toBeUndefined()
    const key = issuer.keys[0]!
    expect((await source.getKey({ kid: key.kid, alg: key.alg })).kid).toBe(key.kid)
    expect(source.jwksUri).toBe(issuer.jwksUri)
    now += 11 * 60_000
    await source.getKey({ kid: key.kid, alg: key.alg })
    await source.idle()
    expect(issuer.counters).toEqual({ discovery: 1, jwks: 2 })
  })

  it('a discovery failure is a fetch failure (503), not a crash', async () => {
    const issuer = await listening()
    const source = createRemoteJWKS({ issuer: `${issuer.issuer}/other` })
    cleanups.push(() => source.close())
    const key = issuer.keys[0]!
    const result = await failure(source.getKey({ kid: key.kid, alg: key.alg }))
    expect(result.code).toBe('ERR_KEYS_UNAVAILABLE')
    expect(issuer.counters.jwks).toBe(0)
  })
})
