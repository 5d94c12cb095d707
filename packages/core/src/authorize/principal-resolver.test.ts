import { describe, expect, it } from 'vitest'
import type { JWTClaims } from '../types.js'
import { createPrincipalBuilder, createPrincipalResolver } from './principal.js'

const verified = (claims: JWTClaims) => ({
  claims,
  header: { alg: 'ES256', kid: 'k' },
  token: 'h.p.s',
  issuer: 'https://issuer.test',
})

const code = (code: string) => expect.objectContaining({ code })

describe('createPrincipalResolver', () => {
  it('answers synchronously when every provider does', () => {
    const resolve = createPrincipalResolver()
    const principal = resolve(verified({ sub: 'alice', scope: ' a  b ', roles: ['r', 1] }))
    expect(principal).not.toBeInstanceOf(Promise)
    expect(principal).toEqual({
      subject: 'alice',
      issuer: 'https://issuer.test',
      claims: { sub: 'alice', scope: ' a  b ', roles: ['r', 1] },
      header: { alg: 'ES256', kid: 'k' },
      token: 'h.p.s',
      scopes: ['a', 'b'],
      permissions: [],
      groups: [],
      roles: ['r'],
    })
  })

  it('answers with a promise when a provider is asynchronous', async () => {
    const resolve = createPrincipalResolver({ groups: async ({ claims }) => [`g-${claims.sub}`] })
    const pending = resolve(verified({ sub: 'bob', roles: 'admin' }))
    expect(pending).toBeInstanceOf(Promise)
    const principal = await pending
    expect(principal.groups).toEqual(['g-bob'])
    expect(principal.roles).toEqual(['admin'])
  })

  it('throws the issuer check synchronously, before any provider runs', () => {
    let calls = 0
    const resolve = createPrincipalResolver({
      roles: () => {
        calls += 1
        return []
      },
      validate() {
        throw new Error('wrong tenant')
      },
    })
    expect(() => resolve(verified({}))).toThrow(code('ERR_CLAIM_INVALID'))
    expect(calls).toBe(0)
  })

  it('calls every provider once even when one throws, and fails with a 503', async () => {
    const calls: string[] = []
    const resolve = createPrincipalResolver({
      scopes: () => {
        calls.push('scopes')
        throw new Error('bug')
      },
      permissions: () => {
        calls.push('permissions')
        return []
      },
      groups: async () => {
        calls.push('groups')
        return []
      },
      roles: () => {
        calls.push('roles')
        return []
      },
    })
    await expect(resolve(verified({}))).rejects.toThrow(code('ERR_PROVIDER_UNAVAILABLE'))
    expect(calls).toEqual(['scopes', 'permissions', 'groups', 'roles'])
  })

  it('a synchronous provider answering no list fails with a 503', async () => {
    const resolve = createPrincipalResolver({ roles: () => 'admin' as unknown as string[] })
    await expect(resolve(verified({}))).rejects.toThrow(code('ERR_PROVIDER_UNAVAILABLE'))
  })

  it('gives providers the claims a schema produced', () => {
    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: (value: unknown) => ({ value: { ...(value as object), tenant: 'acme' } }),
      },
    }
    const resolve = createPrincipalResolver(
      { roles: ({ claims }) => [String(claims.tenant)] },
      { claims: schema },
    )
    const principal = resolve(verified({ sub: 'a' }))
    expect(principal).not.toBeInstanceOf(Promise)
    expect((principal as { roles: readonly string[] }).roles).toEqual(['acme'])
  })
})

describe('createPrincipalBuilder', () => {
  it('always answers with a promise, and fails by rejecting', async () => {
    const build = createPrincipalBuilder({
      validate() {
        throw new Error('nope')
      },
    })
    const result = build(verified({}))
    expect(result).toBeInstanceOf(Promise)
    await expect(result).rejects.toThrow(code('ERR_CLAIM_INVALID'))
    const ok = createPrincipalBuilder()(verified({ sub: 'a' }))
    expect(ok).toBeInstanceOf(Promise)
    expect((await ok).subject).toBe('a')
  })
})
