import { describe, expect, it } from 'vitest'
import { compileRoutes } from './route-matcher.js'

describe('compileRoutes', () => {
  it('matches plain strings exactly', () => {
    const isPublic = compileRoutes(['/', '/health'])
    expect(isPublic('/')).toBe(true)
    expect(isPublic('/health')).toBe(true)
    expect(isPublic('/health/deep')).toBe(false)
    expect(isPublic('/healthz')).toBe(false)
    expect(isPublic('/Health')).toBe(false)
  })

  it('lets * match within one segment and ** across segments', () => {
    const match = compileRoutes(['/users/*', '/docs/**', '/files/*.txt'])
    expect(match('/users/42')).toBe(true)
    expect(match('/users/42/orders')).toBe(false)
    expect(match('/docs/a/b/c')).toBe(true)
    expect(match('/docs')).toBe(false)
    expect(match('/files/a.txt')).toBe(true)
    expect(match('/files/aXtxt')).toBe(false)
  })

  it('tests RegExps without keeping state between calls', () => {
    const match = compileRoutes([/^\/public\//g])
    expect(match('/public/a')).toBe(true)
    expect(match('/public/a')).toBe(true)
    expect(match('/private/a')).toBe(false)
  })

  it('accepts predicates, and matches nothing when empty', () => {
    expect(compileRoutes([(path) => path.endsWith('.png')])('/a/b.png')).toBe(true)
    expect(compileRoutes()('/')).toBe(false)
  })

  it('rejects a pattern that is not a path at construction', () => {
    expect(() => compileRoutes(['health'])).toThrow(expect.objectContaining({ code: 'ERR_CONFIGURATION' }))
  })
})
