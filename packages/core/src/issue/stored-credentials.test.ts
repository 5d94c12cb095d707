/**
 * What SECURITY.md promises about storage: API keys, refresh tokens and signing keys reach the
 * `IssuerStore` only as hashes or sealed — whatever store is plugged in, since every write goes
 * through the interface this test watches.
 */
import { describe, expect, it } from 'vitest'
import { createMemoryIssuerStore } from './memory-store.js'
import type { IssuerStore } from './store.js'
import { basic, setup } from './test-fixtures.js'

/** A memory store that records every argument written through the `IssuerStore` interface. */
function recordingStore(): { store: IssuerStore; written: () => string } {
  const inner = createMemoryIssuerStore()
  const calls: string[] = []
  const store = new Proxy(inner, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        calls.push(JSON.stringify(args, (_key, v) => (typeof v === 'bigint' ? String(v) : v)))
        return value.apply(target, args)
      }
    },
  })
  return { store, written: () => calls.join('\n') }
}

describe('stored credentials', () => {
  it('API keys, refresh tokens (rotated too) and private signing keys never reach the store in the clear', async () => {
    const { store, written } = recordingStore()
    const f = setup({ store })
    const { id, key } = await f.issuer.apiKeys.create({ subject: 'svc', name: 'n', permissions: ['read'] })
    const first = await (
      await f.post('/token', { grant_type: 'client_credentials' }, { authorization: basic(id, key) })
    ).json()
    expect(first.refresh_token).toMatch(/^kgr_/)
    const second = await (
      await f.post(
        '/token',
        { grant_type: 'refresh_token', refresh_token: first.refresh_token },
        { authorization: basic(id, key) },
      )
    ).json()
    expect(second.refresh_token).toMatch(/^kgr_/)
    const user = await f.issuer.createToken({ subject: 'user-1', refresh: true })
    expect(user.refreshToken).toMatch(/^kgr_/)

    const log = written()
    const secretPart = (credential: string) => credential.split('_')[2]!
    for (const credential of [key, first.refresh_token, second.refresh_token, user.refreshToken!]) {
      expect(log).not.toContain(credential)
      expect(log).not.toContain(secretPart(credential))
    }
    // The private half of every signing key is sealed (AES-256-GCM), never a JWK with `d`.
    expect(log).toContain('"sealedPrivateKey":"v1.')
    expect(log).not.toMatch(/"d":"/)
  })
})
