import { describe, expect, it } from 'vitest'
import { readClaim, toStringList } from './claim-values.js'

describe('toStringList', () => {
  it('splits like split + dropping empty parts, for any delimiter', () => {
    const samples = ['', ' ', 'a', ' a', 'a ', 'a b', '  a   b  c ', 'a,,b,', ',,', 'x::y::', 'a b\tc']
    for (const delimiter of [' ', ',', '::', '\t']) {
      for (const value of samples) {
        expect(toStringList(value, delimiter)).toEqual(value.split(delimiter).filter((part) => part !== ''))
      }
    }
  })

  it('keeps a string whole without a delimiter, and splits into characters on an empty one', () => {
    expect(toStringList('a b')).toEqual(['a b'])
    expect(toStringList('')).toEqual([])
    expect(toStringList('ab', '')).toEqual(['a', 'b'])
  })

  it('keeps the string entries of an array in a fresh array, and nothing of other values', () => {
    const claim = ['a', 1, null, 'b', { c: 1 }]
    const list = toStringList(claim)
    expect(list).toEqual(['a', 'b'])
    const strings = ['x', 'y']
    expect(toStringList(strings)).not.toBe(strings)
    for (const value of [undefined, null, 1, true, { a: 'b' }]) expect(toStringList(value)).toEqual([])
  })
})

describe('readClaim', () => {
  it('follows own members only', () => {
    expect(readClaim({ a: { b: ['x'] } }, ['a', 'b'])).toEqual(['x'])
    expect(readClaim({ a: {} }, ['a', 'constructor'])).toBeUndefined()
    expect(readClaim({ a: ['x'] }, ['a', '0'])).toBeUndefined()
  })
})
