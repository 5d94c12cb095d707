import { describe, expect, it } from 'vitest'
import { describeRequirement } from './describe-requirement.js'
import { defineRequirement, requirement } from './requirement.js'
import type { Requirement } from './types.js'

const invalid = expect.objectContaining({ code: 'ERR_CONFIGURATION', status: 500 })

describe('defineRequirement', () => {
  it('returns a deeply frozen copy', () => {
    const spec = { scopes: ['a'], roles: { anyOf: ['x', 'y'] }, adminPermission: 'admin' }
    const defined = defineRequirement(spec)
    expect(defined).toEqual(spec)
    expect(Object.isFrozen(defined)).toBe(true)
    expect(Object.isFrozen(defined.scopes)).toBe(true)
    expect(Object.isFrozen(defined.roles)).toBe(true)
    expect(Object.isFrozen((defined.roles as { anyOf: string[] }).anyOf)).toBe(true)
    spec.scopes.push('b')
    expect(defined.scopes).toEqual(['a'])
    expect(requirement).toBe(defineRequirement)
  })

  it.each<[string, unknown]>([
    ['an unknown key', { scope: ['a'] }],
    ['a string instead of a list', { scopes: 'a' }],
    ['an empty value', { roles: [''] }],
    ['a non-string value', { groups: [1] }],
    ['an unknown match key', { roles: { oneOf: ['a'] } }],
    ['an empty any-of', { roles: { anyOf: [] } }],
    ['a predicate that is not a function', { predicates: ['isOwner'] }],
    ['an empty admin permission', { adminPermission: '' }],
    ['not an object', ['scopes']],
    ['null', null],
  ])('rejects %s at definition', (_, spec) => {
    expect(() => defineRequirement(spec as Requirement)).toThrow(invalid)
  })
})

describe('describeRequirement', () => {
  it('describes a requirement as data and one line of text', () => {
    function isOwner() {
      return true
    }
    const description = describeRequirement({
      scopes: ['orders:read', 'orders:write'],
      roles: { anyOf: ['admin', 'editor'] },
      groups: { allOf: ['staff'], anyOf: ['eu'] },
      predicates: [isOwner],
      adminPermission: 'root',
    })
    expect(description).toEqual({
      scopes: { allOf: ['orders:read', 'orders:write'], anyOf: [] },
      groups: { allOf: ['staff'], anyOf: ['eu'] },
      roles: { allOf: [], anyOf: ['admin', 'editor'] },
      predicates: ['isOwner'],
      adminPermission: 'root',
      summary:
        'scopes: orders:read and orders:write; groups: staff and eu; roles: any of admin, editor; predicate isOwner; or permission root',
    })
    expect(JSON.parse(JSON.stringify(description))).toEqual(description)
  })

  it('says when only authentication is needed', () => {
    expect(describeRequirement({})).toEqual({ summary: 'authenticated' })
    expect(describeRequirement(defineRequirement({ permissions: [] }))).toEqual({ summary: 'authenticated' })
  })
})
