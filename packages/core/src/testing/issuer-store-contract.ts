import type { APIKeyRecord, IssuerStore, RefreshTokenRecord, SigningKeyRecord } from '../issue/store.js'
import { type ContractCase, canonical, createCheck } from './contract-check.js'

/** One framework-neutral contract case: `run` throws an `Error` when the store breaks the contract. */
export type IssuerStoreContractCase = ContractCase

/** Enough simultaneous callers to expose a check-then-set race. */
const CONCURRENT_CALLERS = 12
const T0 = 1_700_000_000_000

const check: (condition: boolean, message: string) => asserts condition = createCheck('IssuerStore')

function same(actual: unknown, expected: unknown, what: string) {
  check(
    canonical(actual) === canonical(expected),
    `${what}: expected ${canonical(expected)}, got ${canonical(actual)}`,
  )
}

const rid = (tag: string) => `${tag}${Math.random().toString(36).slice(2, 12)}${Date.now().toString(36)}`

function signingKey(id: string, state: SigningKeyRecord['state'], createdAt = T0): SigningKeyRecord {
  return {
    id,
    algorithm: 'EdDSA',
    state,
    publicJwk: {
      kty: 'OKP',
      crv: 'Ed25519',
      x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
      kid: id,
      alg: 'EdDSA',
      use: 'sig',
    },
    sealedPrivateKey: `v1.iv.${id}`,
    createdAt,
    activatedAt: state === 'current' ? createdAt : null,
    retiredAt: null,
  }
}

function apiKey(subject: string, createdAt = T0): APIKeyRecord {
  return {
    id: rid('k'),
    keyHash: rid('h'),
    subject,
    name: 'ci deploy',
    permissions: ['read', 'write:all'],
    audience: ['https://api.example', 'urn:other'],
    metadata: { team: 'infra', nested: { n: 1, list: [true, null] } },
    createdAt,
    expiresAt: createdAt + 86_400_000,
    revokedAt: null,
    lastUsedAt: null,
  }
}

function refreshToken(familyId: string | null, apiKeyId: string | null = null): RefreshTokenRecord {
  const id = rid('r')
  return {
    id,
    tokenHash: rid('h'),
    familyId: familyId ?? id,
    apiKeyId,
    subject: 'user-1',
    permissions: ['read'],
    groups: ['admins'],
    audience: ['https://api.example'],
    claims: { tenant: 't-1' },
    data: { device: 'laptop' },
    createdAt: T0,
    expiresAt: T0 + 3_600_000,
    consumedAt: null,
    successorId: null,
    revokedAt: null,
  }
}

async function rejects(promise: Promise<unknown>, what: string) {
  let failed = false
  try {
    await promise
  } catch {
    failed = true
  }
  check(failed, `${what} should reject`)
}

/**
 * The behaviour every `IssuerStore` must have, as cases any test framework can run: signing-key
 * compare-and-set (one winner among concurrent writers, a lost race changes nothing), API key
 * and refresh-token round trips, atomic refresh-token consumption, family and per-key
 * revocation, and copy semantics. Ids are random, so a shared database can run the cases side
 * by side; `createStore` is called once per case.
 *
 * @example
 * for (const c of issuerStoreContract(() => createMemoryIssuerStore())) it(c.name, c.run)
 */
export function issuerStoreContract(
  createStore: () => IssuerStore | Promise<IssuerStore>,
): IssuerStoreContractCase[] {
  const withStore = (name: string, body: (store: IssuerStore) => Promise<void>): IssuerStoreContractCase => ({
    name,
    run: async () => body(await createStore()),
  })

  return [
    withStore(
      'signing keys: an update at the current version applies and bumps the version',
      async (store) => {
        const before = await store.getSigningKeys()
        check(Number.isInteger(before.version), 'version is an integer')
        const a = signingKey(rid('a'), 'current')
        const b = signingKey(rid('b'), 'next')
        check(
          await store.updateSigningKeys(before.version, { put: [a, b] }),
          'update at the read version succeeds',
        )
        const after = await store.getSigningKeys()
        check(after.version > before.version, 'version increases')
        same(
          after.keys.find((k) => k.id === a.id),
          a,
          'stored key a',
        )
        same(
          after.keys.find((k) => k.id === b.id),
          b,
          'stored key b',
        )
        const retiredA = { ...a, state: 'retired' as const, retiredAt: T0 + 5 }
        const currentB = { ...b, state: 'current' as const, activatedAt: T0 + 5 }
        check(await store.updateSigningKeys(after.version, { put: [retiredA, currentB] }), 'replace by id')
        const third = await store.getSigningKeys()
        same(
          third.keys.find((k) => k.id === a.id),
          retiredA,
          'replaced key a',
        )
        same(
          third.keys.find((k) => k.id === b.id),
          currentB,
          'replaced key b',
        )
        check(await store.updateSigningKeys(third.version, { delete: [a.id] }), 'delete')
        const fourth = await store.getSigningKeys()
        check(!fourth.keys.some((k) => k.id === a.id), 'deleted key is gone')
        check(
          fourth.keys.some((k) => k.id === b.id),
          'other key stays',
        )
      },
    ),
    withStore('signing keys: a stale version is refused and changes nothing', async (store) => {
      const start = await store.getSigningKeys()
      const a = signingKey(rid('a'), 'next')
      check(await store.updateSigningKeys(start.version, { put: [a] }), 'first update succeeds')
      const b = signingKey(rid('b'), 'next')
      check(
        !(await store.updateSigningKeys(start.version, { put: [b], delete: [a.id] })),
        'stale update refused',
      )
      const now = await store.getSigningKeys()
      check(now.version === start.version + 1, 'version moved exactly once')
      check(
        now.keys.some((k) => k.id === a.id),
        'the stale delete did not happen',
      )
      check(!now.keys.some((k) => k.id === b.id), 'the stale put did not happen')
    }),
    withStore('signing keys: of concurrent writers at one version exactly one wins', async (store) => {
      const { version } = await store.getSigningKeys()
      const candidates = Array.from({ length: CONCURRENT_CALLERS }, () => signingKey(rid('c'), 'next'))
      const results = await Promise.all(candidates.map((k) => store.updateSigningKeys(version, { put: [k] })))
      check(
        results.filter(Boolean).length === 1,
        `exactly one winner (got ${results.filter(Boolean).length})`,
      )
      const ring = await store.getSigningKeys()
      const stored = candidates.filter((k) => ring.keys.some((r) => r.id === k.id))
      check(stored.length === 1, 'only the winner was stored')
      check(stored[0] === candidates[results.indexOf(true)], 'the stored key is the winner')
    }),
    withStore('signing keys: records are copies, not shared objects', async (store) => {
      const { version } = await store.getSigningKeys()
      const a = signingKey(rid('a'), 'next')
      check(await store.updateSigningKeys(version, { put: [a] }), 'update')
      a.state = 'retired'
      const read = (await store.getSigningKeys()).keys.find((k) => k.id === a.id)!
      check(read.state === 'next', 'mutating the input did not change the store')
      read.state = 'current'
      const again = (await store.getSigningKeys()).keys.find((k) => k.id === a.id)!
      check(again.state === 'next', 'mutating a result did not change the store')
    }),
    withStore('api keys: create, get, list by subject (oldest first), never shared', async (store) => {
      const subject = rid('s')
      const first = apiKey(subject, T0)
      const second = apiKey(subject, T0 + 1000)
      const other = apiKey(rid('s'), T0 + 500)
      await store.createAPIKey(second)
      await store.createAPIKey(first)
      await store.createAPIKey(other)
      same(await store.getAPIKey(first.id), first, 'get')
      check((await store.getAPIKey(rid('missing'))) === undefined, 'unknown id is undefined')
      const listed = await store.listAPIKeys({ subject })
      same(
        listed.map((k) => k.id),
        [first.id, second.id],
        'list by subject, oldest first',
      )
      const all = await store.listAPIKeys()
      check(
        all.some((k) => k.id === other.id) && all.some((k) => k.id === first.id),
        'list without filter has all',
      )
      first.name = 'changed'
      check((await store.getAPIKey(first.id))!.name === 'ci deploy', 'input not shared')
      await rejects(store.createAPIKey({ ...apiKey(subject), id: second.id }), 'a duplicate id')
    }),
    withStore('api keys: keyset pages by (createdAt, id) with after and limit', async (store) => {
      const subject = rid('s')
      // Two keys share a creation time: the id breaks the tie, so no page boundary loses one.
      const keys = [
        apiKey(subject, T0),
        apiKey(subject, T0 + 1),
        apiKey(subject, T0 + 1),
        apiKey(subject, T0 + 2),
      ]
      for (const k of [...keys].reverse()) await store.createAPIKey(k)
      const order = [...keys]
        .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
        .map((k) => k.id)
      const seen: string[] = []
      let after: string | undefined
      for (let page = 0; page < 3; page += 1) {
        const got = await store.listAPIKeys({ subject, limit: 2, ...(after !== undefined && { after }) })
        check(got.length <= 2, 'a page holds at most limit keys')
        seen.push(...got.map((k) => k.id))
        after = got.at(-1)?.id
        if (got.length < 2) break
      }
      same(seen, order, 'pages cover every key once, in (createdAt, id) order')
      same(
        (await store.listAPIKeys({ subject, after: order[1]! })).map((k) => k.id),
        order.slice(2),
        'after without limit returns the rest',
      )
      same(await store.listAPIKeys({ subject, after: order[3]! }), [], 'nothing after the last key')
      same(await store.listAPIKeys({ subject, after: rid('missing') }), [], 'an unknown cursor names no key')
      same(
        (await store.listAPIKeys({ subject, limit: 1 })).map((k) => k.id),
        order.slice(0, 1),
        'limit alone is the first page',
      )
    }),
    withStore('api keys: revoke keeps the first time, touch records use, unknown ids', async (store) => {
      const key = apiKey(rid('s'))
      await store.createAPIKey(key)
      const revoked = await store.revokeAPIKey(key.id, T0 + 10)
      check(revoked?.revokedAt === T0 + 10, 'revoke returns the revoked record')
      const again = await store.revokeAPIKey(key.id, T0 + 20)
      check(again?.revokedAt === T0 + 10, 'a second revoke keeps the first time')
      check(
        (await store.revokeAPIKey(rid('missing'), T0)) === undefined,
        'revoking an unknown id is undefined',
      )
      await store.touchAPIKey(key.id, T0 + 30)
      check((await store.getAPIKey(key.id))?.lastUsedAt === T0 + 30, 'touch sets lastUsedAt')
      await store.touchAPIKey(key.id, T0 + 25)
      check((await store.getAPIKey(key.id))?.lastUsedAt === T0 + 30, 'lastUsedAt never goes back')
      await store.touchAPIKey(rid('missing'), T0)
    }),
    withStore('refresh tokens: create and get round-trip; duplicates rejected', async (store) => {
      const token = refreshToken(null, rid('k'))
      await store.createRefreshToken(token)
      same(await store.getRefreshToken(token.id), token, 'get')
      check((await store.getRefreshToken(rid('missing'))) === undefined, 'unknown id is undefined')
      await rejects(store.createRefreshToken({ ...refreshToken(null), id: token.id }), 'a duplicate id')
    }),
    withStore('refresh tokens: of concurrent consumers exactly one consumes', async (store) => {
      const token = refreshToken(null)
      await store.createRefreshToken(token)
      const successors = Array.from({ length: CONCURRENT_CALLERS }, () => refreshToken(token.familyId))
      const results = await Promise.all(
        successors.map((s) => store.consumeRefreshToken(token.id, T0 + 100, s)),
      )
      const winners = results.filter((r) => r.consumed)
      check(winners.length === 1, `exactly one consumer (got ${winners.length})`)
      const winner = successors[results.findIndex((r) => r.consumed)]!
      for (const r of results) {
        if (!r.consumed) check(r.record?.successorId === winner.id, 'losers see the winning successor')
      }
      const stored = await store.getRefreshToken(token.id)
      check(
        stored?.consumedAt === T0 + 100 && stored.successorId === winner.id,
        'predecessor marked consumed',
      )
      same(await store.getRefreshToken(winner.id), winner, 'successor stored')
      for (const s of successors) {
        if (s !== winner)
          check((await store.getRefreshToken(s.id)) === undefined, 'losing successors not stored')
      }
    }),
    withStore('refresh tokens: revoked or unknown tokens are not consumed', async (store) => {
      const token = refreshToken(null)
      await store.createRefreshToken(token)
      await store.revokeRefreshToken(token.id, T0 + 1)
      const successor = refreshToken(token.familyId)
      const result = await store.consumeRefreshToken(token.id, T0 + 2, successor)
      check(!result.consumed && result.record?.revokedAt === T0 + 1, 'revoked token is not consumed')
      check((await store.getRefreshToken(successor.id)) === undefined, 'no successor stored')
      const unknown = await store.consumeRefreshToken(rid('missing'), T0, refreshToken(null))
      check(!unknown.consumed && unknown.record === undefined, 'unknown token')
      await store.revokeRefreshToken(token.id, T0 + 9)
      check(
        (await store.getRefreshToken(token.id))?.revokedAt === T0 + 1,
        'revoking again keeps the first time',
      )
    }),
    withStore('refresh tokens: family and per-key revocation touch only their tokens', async (store) => {
      const keyId = rid('k')
      const root = refreshToken(null, keyId)
      const sibling = { ...refreshToken(root.familyId, keyId) }
      const otherFamily = refreshToken(null, keyId)
      const unrelated = refreshToken(null, rid('k'))
      for (const t of [root, sibling, otherFamily, unrelated]) await store.createRefreshToken(t)
      check(
        (await store.revokeRefreshFamily(root.familyId, T0 + 5)) === 2,
        'family revocation counts its tokens',
      )
      check((await store.getRefreshToken(sibling.id))?.revokedAt === T0 + 5, 'sibling revoked')
      check((await store.getRefreshToken(otherFamily.id))?.revokedAt === null, 'other family untouched')
      check(
        (await store.revokeRefreshFamily(root.familyId, T0 + 6)) === 0,
        'already revoked are not counted again',
      )
      check(
        (await store.revokeRefreshTokensOfAPIKey(keyId, T0 + 7)) === 1,
        'per-key revocation counts the rest',
      )
      check(
        (await store.getRefreshToken(otherFamily.id))?.revokedAt === T0 + 7,
        'other family of the key revoked',
      )
      check((await store.getRefreshToken(root.id))?.revokedAt === T0 + 5, 'earlier revocation time kept')
      check((await store.getRefreshToken(unrelated.id))?.revokedAt === null, 'another key untouched')
    }),
    withStore('refresh tokens: optional housekeeping deletes only expired tokens', async (store) => {
      if (!store.deleteExpiredRefreshTokens) return
      const old = { ...refreshToken(null), expiresAt: T0 - 10 }
      const fresh = { ...refreshToken(null), expiresAt: T0 + 10 }
      await store.createRefreshToken(old)
      await store.createRefreshToken(fresh)
      check((await store.deleteExpiredRefreshTokens(T0)) >= 1, 'counts deletions')
      check((await store.getRefreshToken(old.id)) === undefined, 'expired token deleted')
      check((await store.getRefreshToken(fresh.id)) !== undefined, 'live token kept')
    }),
  ]
}
