import type { KeyStore, StoredJWKS } from '../jwks/types.js'
import { type ContractCase, canonical, createCheck } from './contract-check.js'

/** One framework-neutral contract case: `run` throws an `Error` when the store breaks the contract. */
export type KeyStoreContractCase = ContractCase

/** A lifetime no test run outlives: stores use real time, and the contract never sleeps. */
const LONG_TTL_MS = 60 * 60_000
/** Enough simultaneous callers to expose a check-then-set race in a lock. */
const CONCURRENT_ACQUIRES = 20

const check: (condition: boolean, message: string) => asserts condition = createCheck('KeyStore')

function sample(tag: string): StoredJWKS {
  return {
    jwks: {
      keys: [
        {
          kty: 'OKP',
          crv: 'Ed25519',
          x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
          kid: `${tag}-1`,
          alg: 'EdDSA',
        },
        {
          kty: 'EC',
          crv: 'P-256',
          x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
          y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
          kid: `${tag}-2`,
          use: 'sig',
        },
      ],
    },
    fetchedAt: 1_700_000_000_000,
    expiresAt: 1_700_000_600_000,
    etag: `"${tag}"`,
    uses: 3,
  }
}

/**
 * The behaviour every `KeyStore` must have, as cases any test framework can run: roundtrip,
 * copy semantics, lifetimes, and (when the store has a lock) exclusive `acquire`. Each case
 * uses its own random keys, so a shared store (a real Redis) can run them side by side.
 *
 * @example
 * for (const { name, run } of keyStoreContract(() => createRedisKeyStore({ url }))) {
 *   it(name, run)
 * }
 */
export function keyStoreContract(createStore: () => KeyStore | Promise<KeyStore>): KeyStoreContractCase[] {
  const unique = (name: string) => `keygate-contract:${name}:${Math.random().toString(36).slice(2)}`

  return [
    {
      name: 'get of a missing key resolves undefined',
      async run() {
        const store = await createStore()
        check(
          (await store.get(unique('missing'))) === undefined,
          'get of a missing key must resolve undefined',
        )
      },
    },
    {
      name: 'set, get and delete round-trip a value',
      async run() {
        const store = await createStore()
        const key = unique('roundtrip')
        const value = sample('roundtrip')
        await store.set(key, value, LONG_TTL_MS)
        const got = await store.get(key)
        check(got !== undefined, 'get after set must return the value')
        check(canonical(got) === canonical(value), 'get must return what set stored')
        await store.delete(key)
        check((await store.get(key)) === undefined, 'get after delete must resolve undefined')
        await store.delete(key) // deleting twice is harmless
      },
    },
    {
      name: 'set replaces an earlier value',
      async run() {
        const store = await createStore()
        const key = unique('replace')
        await store.set(key, sample('first'), LONG_TTL_MS)
        const second = sample('second')
        await store.set(key, second, LONG_TTL_MS)
        check(canonical(await store.get(key)) === canonical(second), 'the second set must win')
        await store.delete(key)
      },
    },
    {
      name: 'values are copies: mutating what was set or got does not change the store',
      async run() {
        const store = await createStore()
        const key = unique('copies')
        const value = sample('copies')
        const expected = canonical(value)
        await store.set(key, value, LONG_TTL_MS)
        value.jwks.keys.push({ kty: 'RSA', kid: 'injected' })
        value.etag = '"changed"'
        const got = await store.get(key)
        check(got !== undefined, 'value must be stored')
        check(canonical(got) === expected, 'mutating the object passed to set must not change the store')
        got.jwks.keys.length = 0
        got.expiresAt = 0
        check(
          canonical(await store.get(key)) === expected,
          'mutating a returned value must not change the store',
        )
        await store.delete(key)
      },
    },
    {
      name: 'keys are independent',
      async run() {
        const store = await createStore()
        const a = unique('a')
        const b = unique('b')
        await store.set(a, sample('a'), LONG_TTL_MS)
        await store.set(b, sample('b'), LONG_TTL_MS)
        await store.delete(a)
        check((await store.get(a)) === undefined, 'deleted key must be gone')
        check(canonical(await store.get(b)) === canonical(sample('b')), 'other keys must be untouched')
        await store.delete(b)
      },
    },
    {
      name: 'a value lives for its ttl (by the store’s clock) until deleted',
      async run() {
        const store = await createStore()
        const key = unique('ttl')
        await store.set(key, sample('ttl'), LONG_TTL_MS)
        // Two reads: the ttl must not be consumed by reading.
        check((await store.get(key)) !== undefined, 'a value within its ttl must be readable')
        check((await store.get(key)) !== undefined, 'reading must not expire a value')
        await store.delete(key)
        check((await store.get(key)) === undefined, 'delete must end the value before its ttl')
      },
    },
    {
      name: 'acquire is exclusive until release',
      async run() {
        const store = await createStore()
        if (!store.acquire || !store.release) return // locking is optional
        const key = unique('lock')
        check((await store.acquire(key, LONG_TTL_MS)) === true, 'first acquire must succeed')
        check((await store.acquire(key, LONG_TTL_MS)) === false, 'second acquire must fail while held')
        const other = unique('lock-other')
        check((await store.acquire(other, LONG_TTL_MS)) === true, 'locks on other keys must be independent')
        await store.release(key)
        check((await store.acquire(key, LONG_TTL_MS)) === true, 'acquire after release must succeed')
        await store.release(key)
        await store.release(other)
      },
    },
    {
      name: 'concurrent acquires: exactly one wins',
      async run() {
        const store = await createStore()
        if (!store.acquire || !store.release) return
        const key = unique('race')
        const results = await Promise.all(
          Array.from({ length: CONCURRENT_ACQUIRES }, () => store.acquire!(key, LONG_TTL_MS)),
        )
        const winners = results.filter((got) => got === true).length
        check(
          winners === 1,
          `exactly one of ${CONCURRENT_ACQUIRES} concurrent acquires must win, got ${winners}`,
        )
        await store.release(key)
      },
    },
  ]
}
