import { describe, expect, it } from 'vitest'
import { keyStoreContract } from '../testing/key-store-contract.js'
import { createMemoryKeyStore } from './memory-store.js'
import type { KeyStore, StoredJWKS } from './types.js'

const value: StoredJWKS = {
  jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'AA' }] },
  fetchedAt: 1,
  expiresAt: 2,
}

describe('createMemoryKeyStore: KeyStore contract', () => {
  for (const { name, run } of keyStoreContract(() => createMemoryKeyStore())) it(name, run)
})

describe('createMemoryKeyStore: lifetimes by its clock', () => {
  it('values and locks expire when the injected clock passes their ttl', async () => {
    let now = 1_000
    const store = createMemoryKeyStore({ clock: () => now })
    await store.set('k', value, 500)
    expect(await store.get('k')).toEqual(value)
    expect(await store.acquire!('lock', 500)).toBe(true)
    now += 499
    expect(await store.get('k')).toEqual(value)
    expect(await store.acquire!('lock', 500)).toBe(false)
    now += 1
    expect(await store.get('k')).toBeUndefined()
    expect(await store.acquire!('lock', 500)).toBe(true) // an expired lock is free again
  })
})

describe('keyStoreContract catches broken stores', () => {
  const run = async (store: KeyStore, name: string) => {
    const found = keyStoreContract(() => store).find((c) => c.name === name)
    if (!found) throw new Error(`no case ${name}`)
    return found.run()
  }

  it('a store that hands out its own objects fails the copy case', async () => {
    const map = new Map<string, StoredJWKS>()
    const sharing: KeyStore = {
      get: async (key) => map.get(key),
      set: async (key, stored) => void map.set(key, stored),
      delete: async (key) => void map.delete(key),
    }
    await expect(
      run(sharing, 'values are copies: mutating what was set or got does not change the store'),
    ).rejects.toThrow('KeyStore contract')
  })

  it('a lock with a check-then-set race fails the concurrency case', async () => {
    const held = new Set<string>()
    const racy: KeyStore = {
      ...createMemoryKeyStore(),
      acquire: async (key) => {
        const free = !held.has(key)
        await Promise.resolve()
        held.add(key)
        return free
      },
      release: async (key) => void held.delete(key),
    }
    await expect(run(racy, 'concurrent acquires: exactly one wins')).rejects.toThrow('KeyStore contract')
  })
})
