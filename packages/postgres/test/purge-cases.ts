import type { APIKeyRecord, RefreshTokenRecord } from '@keygate/core'
import { expect } from 'vitest'
import type { PostgresIssuerStore, PostgresStoreEvent, StoreOptions } from '../src/index.js'

/** Purge behaviour for either driver; `make` returns a store on a schema of its own. */
type Make = (options: StoreOptions) => Promise<PostgresIssuerStore>

const DAY = 86_400_000
const NOW = 1_800_000_000_000
const id = (tag: string) => `${tag}${Math.random().toString(36).slice(2, 12)}${Date.now().toString(36)}`

function apiKey(overrides: Partial<APIKeyRecord>): APIKeyRecord {
  return {
    id: id('k'),
    keyHash: id('h'),
    subject: 'svc',
    name: 'n',
    permissions: [],
    audience: null,
    metadata: {},
    createdAt: NOW - 90 * DAY,
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
    ...overrides,
  }
}

function refreshToken(expiresAt: number): RefreshTokenRecord {
  const tokenId = id('r')
  return {
    id: tokenId,
    tokenHash: id('h'),
    familyId: tokenId,
    apiKeyId: null,
    subject: 'user',
    permissions: [],
    groups: [],
    audience: ['https://api.example'],
    claims: {},
    data: null,
    createdAt: expiresAt - DAY,
    expiresAt,
    consumedAt: null,
    successorId: null,
    revokedAt: null,
  }
}

/** Polls `condition` every 10 ms until it holds, failing after `limitMs`. */
async function until(condition: () => boolean, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

export function purgeCases(make: Make): { name: string; run: () => Promise<void> }[] {
  return [
    {
      name: 'purge deletes expired refresh tokens and API keys revoked or expired past the retention',
      run: async () => {
        const store = await make({ purgeEvery: false, apiKeyRetention: '1d' })
        try {
          const expired = refreshToken(NOW - 1)
          const live = refreshToken(NOW + 1000)
          const consumedLive = { ...refreshToken(NOW + 1000), consumedAt: NOW - 10 }
          for (const t of [expired, live, consumedLive]) await store.createRefreshToken(t)
          const gone = [
            apiKey({ revokedAt: NOW - 2 * DAY }),
            apiKey({ expiresAt: NOW - 2 * DAY }),
            apiKey({ expiresAt: NOW + DAY, revokedAt: NOW - 3 * DAY }),
          ]
          const kept = [
            apiKey({}),
            apiKey({ revokedAt: NOW - DAY / 2 }),
            apiKey({ expiresAt: NOW - DAY / 2 }),
            apiKey({ expiresAt: NOW + DAY }),
          ]
          for (const k of [...gone, ...kept]) await store.createAPIKey(k)

          expect(await store.purge(NOW)).toEqual({ refreshTokens: 1, apiKeys: 3 })
          expect(await store.getRefreshToken(expired.id)).toBeUndefined()
          expect(await store.getRefreshToken(live.id)).toEqual(live)
          expect(await store.getRefreshToken(consumedLive.id)).toEqual(consumedLive)
          for (const k of gone) expect(await store.getAPIKey(k.id)).toBeUndefined()
          for (const k of kept) expect(await store.getAPIKey(k.id)).toEqual(k)
          expect(await store.purge(NOW)).toEqual({ refreshTokens: 0, apiKeys: 0 })
        } finally {
          await store.close()
        }
      },
    },
    {
      name: 'the schedule purges as of the injected clock and reports it',
      run: async () => {
        const events: PostgresStoreEvent[] = []
        const store = await make({ purgeEvery: 20, clock: () => NOW, onEvent: (e) => events.push(e) })
        try {
          const expired = refreshToken(NOW - 1)
          await store.createRefreshToken(expired)
          await until(() => events.some((e) => e.type === 'purged' && e.refreshTokens > 0))
          expect(events.find((e) => e.type === 'purged' && e.refreshTokens > 0)).toMatchObject({ at: NOW })
          expect(await store.getRefreshToken(expired.id)).toBeUndefined()
        } finally {
          await store.close()
        }
      },
    },
    {
      name: 'a failing scheduled purge is reported, never thrown; a throwing listener changes nothing',
      run: async () => {
        const events: PostgresStoreEvent[] = []
        // NaN is no bigint: every scheduled purge fails inside the database.
        const store = await make({
          purgeEvery: 20,
          clock: () => Number.NaN,
          onEvent: (e) => {
            events.push(e)
            throw new Error('listener failure')
          },
        })
        try {
          await until(() => events.filter((e) => e.type === 'purge_failed').length >= 2)
          expect(events.find((e) => e.type === 'purge_failed')).toMatchObject({ error: expect.any(Error) })
          await store.ping()
        } finally {
          await store.close()
        }
      },
    },
  ]
}
