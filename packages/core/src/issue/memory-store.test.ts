import { describe, expect, it } from 'vitest'
import { issuerStoreContract } from '../testing/issuer-store-contract.js'
import { createMemoryIssuerStore } from './memory-store.js'
import type { IssuerStore } from './store.js'

describe('createMemoryIssuerStore: IssuerStore contract', () => {
  for (const c of issuerStoreContract(() => createMemoryIssuerStore())) it(c.name, c.run)
})

describe('issuerStoreContract catches broken stores', () => {
  // A store whose compare-and-set ignores the version: the contract must notice.
  function withoutCAS(): IssuerStore {
    const inner = createMemoryIssuerStore()
    return {
      ...inner,
      // Ignores the expected version: the defect under test.
      async updateSigningKeys(...[, changes]: Parameters<IssuerStore['updateSigningKeys']>) {
        const { version } = await inner.getSigningKeys()
        return inner.updateSigningKeys(version, changes)
      },
    }
  }
  // A store whose consume is check-then-act across an await: two consumers can both win.
  function racyConsume(): IssuerStore {
    const inner = createMemoryIssuerStore()
    return {
      ...inner,
      // Never marks the predecessor consumed, and decides on a stale read.
      async consumeRefreshToken(...[id, , successor]: Parameters<IssuerStore['consumeRefreshToken']>) {
        const record = await inner.getRefreshToken(id)
        await new Promise((resolve) => setImmediate(resolve))
        if (!record || record.consumedAt !== null || record.revokedAt !== null)
          return { consumed: false, record }
        await inner.createRefreshToken(successor).catch(() => {})
        return { consumed: true }
      },
    }
  }

  it('a store without compare-and-set fails the signing-key cases', async () => {
    const cases = issuerStoreContract(withoutCAS).filter((c) => c.name.startsWith('signing keys: a stale'))
    await expect(cases[0]!.run()).rejects.toThrow(/IssuerStore contract/)
  })

  it('a store with a racy consume fails the consume case', async () => {
    const cases = issuerStoreContract(racyConsume).filter((c) => c.name.includes('concurrent consumers'))
    await expect(cases[0]!.run()).rejects.toThrow(/IssuerStore contract/)
  })
})
