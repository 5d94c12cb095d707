import type { Principal } from '@keygate/core'
import { describe, expect, it } from 'vitest'
import { encodeBase64url } from './base64url.js'
import { DEFAULT_PRINCIPAL_TTL_MS, signPrincipal, verifyPrincipal } from './signed-principal.js'

const SECRET = 'fixture-secret-0123456789abcdef-0123456789'
const NOW = Date.UTC(2026, 0, 1)
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXBhcnQ'

const principal: Principal = {
  subject: 'alice',
  issuer: 'https://issuer.test',
  claims: {
    sub: 'alice',
    iss: 'https://issuer.test',
    exp: NOW / 1000 + 3600,
    tenant: 'acme',
    name: 'Ålice ✓',
  },
  header: { alg: 'RS256', kid: 'k1' },
  token: TOKEN,
  scopes: ['read', 'write'],
  permissions: ['orders:read'],
  groups: ['staff'],
  roles: ['admin'],
}

const sign = (overrides: Partial<Parameters<typeof signPrincipal>[1]> = {}, who: Principal = principal) =>
  signPrincipal(who, { secret: SECRET, now: NOW, ...overrides })

describe('signed principal header', () => {
  it('round-trips the principal for the token it was signed for', async () => {
    const value = await sign()
    expect(await verifyPrincipal(value, { secret: SECRET, token: TOKEN, now: NOW + 1000 })).toEqual(principal)
  })

  it('never carries the raw token, nor any part of it', async () => {
    const value = await sign()
    for (const part of TOKEN.split('.')) expect(value).not.toContain(part)
    const payload = new TextDecoder().decode(
      Uint8Array.from(atob(value.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')), (c) =>
        c.charCodeAt(0),
      ),
    )
    expect(payload).not.toContain(TOKEN)
    expect(JSON.parse(payload).s).toBe('alice')
  })

  it('rejects a header signed with another secret', async () => {
    const value = await sign({ secret: 'another-secret-0123456789abcdef-012345678' })
    expect(await verifyPrincipal(value, { secret: SECRET, token: TOKEN, now: NOW })).toBeUndefined()
  })

  it('rejects a tampered payload and a tampered MAC', async () => {
    const [version, payload, mac] = (await sign()).split('.') as [string, string, string]
    const forged = JSON.parse(
      new TextDecoder().decode(
        Uint8Array.from(atob(payload.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)),
      ),
    )
    forged.s = 'mallory'
    const forgedPayload = encodeBase64url(new TextEncoder().encode(JSON.stringify(forged)))
    expect(
      await verifyPrincipal(`${version}.${forgedPayload}.${mac}`, { secret: SECRET, token: TOKEN, now: NOW }),
    ).toBeUndefined()
    const flipped = mac.startsWith('A') ? `B${mac.slice(1)}` : `A${mac.slice(1)}`
    expect(
      await verifyPrincipal(`${version}.${payload}.${flipped}`, { secret: SECRET, token: TOKEN, now: NOW }),
    ).toBeUndefined()
  })

  it('expires after its TTL', async () => {
    const value = await sign({ ttl: '10s' })
    expect(await verifyPrincipal(value, { secret: SECRET, token: TOKEN, now: NOW + 9_999 })).toBeDefined()
    expect(await verifyPrincipal(value, { secret: SECRET, token: TOKEN, now: NOW + 10_000 })).toBeUndefined()
    const byDefault = await sign()
    expect(
      await verifyPrincipal(byDefault, { secret: SECRET, token: TOKEN, now: NOW + DEFAULT_PRINCIPAL_TTL_MS }),
    ).toBeUndefined()
  })

  it('never outlives the token it stands for', async () => {
    const shortLived = { ...principal, claims: { ...principal.claims, exp: NOW / 1000 + 5 } }
    const value = await sign({ ttl: '1h' }, shortLived)
    expect(await verifyPrincipal(value, { secret: SECRET, token: TOKEN, now: NOW + 4_000 })).toBeDefined()
    expect(await verifyPrincipal(value, { secret: SECRET, token: TOKEN, now: NOW + 5_000 })).toBeUndefined()
  })

  it('is bound to the token: replayed with another token it is worthless', async () => {
    const value = await sign()
    const other = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.b3RoZXI'
    expect(await verifyPrincipal(value, { secret: SECRET, token: other, now: NOW })).toBeUndefined()
  })

  it('rejects values that are not a v1 header', async () => {
    const [, payload, mac] = (await sign()).split('.')
    for (const value of [
      '',
      'v1',
      'v1.a',
      `v2.${payload}.${mac}`,
      `v1.${payload}.${mac}.x`,
      `v1.${payload}!.${mac}`,
    ]) {
      expect(await verifyPrincipal(value, { secret: SECRET, token: TOKEN, now: NOW })).toBeUndefined()
    }
  })

  it('refuses a secret too short to resist guessing', async () => {
    await expect(sign({ secret: 'short' })).rejects.toMatchObject({ code: 'ERR_CONFIGURATION' })
    await expect(verifyPrincipal(await sign(), { secret: 'short', token: TOKEN })).rejects.toMatchObject({
      code: 'ERR_CONFIGURATION',
    })
  })
})
