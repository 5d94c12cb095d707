import { describe, expect, it } from 'vitest'
import {
  API_KEY_PREFIX,
  formatCredential,
  generateCredential,
  parseCredential,
  REFRESH_TOKEN_PREFIX,
} from './credential-format.js'
import { BASE62_ALPHABET, base64urlDecode, base64urlEncode, constantTimeEqual, crc32 } from './encoding.js'

describe('credential format', () => {
  it('generates <prefix>_<id>_<secret><checksum> that parses back to its id', () => {
    const { id, credential } = generateCredential(API_KEY_PREFIX)
    expect(credential).toMatch(/^kg_[0-9A-Za-z]{16}_[0-9A-Za-z]{49}$/)
    expect(parseCredential(API_KEY_PREFIX, credential)).toEqual({ id })
  })

  it('rejects any single changed character, another prefix, and wrong lengths', () => {
    const { credential } = generateCredential(API_KEY_PREFIX)
    for (let i = 3; i < credential.length; i++) {
      if (credential[i] === '_') continue
      const replacement = credential[i] === 'a' ? 'b' : 'a'
      const changed = credential.slice(0, i) + replacement + credential.slice(i + 1)
      expect(parseCredential(API_KEY_PREFIX, changed), `position ${i}`).toBeUndefined()
    }
    expect(parseCredential(REFRESH_TOKEN_PREFIX, credential)).toBeUndefined()
    expect(parseCredential(API_KEY_PREFIX, `${credential}a`)).toBeUndefined()
    expect(parseCredential(API_KEY_PREFIX, credential.slice(0, -1))).toBeUndefined()
    expect(parseCredential(API_KEY_PREFIX, '')).toBeUndefined()
  })

  it('uses the whole base62 alphabet for secrets (no bias toward a subset)', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 200; i++)
      for (const c of generateCredential('kg').credential.split('_')[2]!) seen.add(c)
    expect(seen.size).toBe(BASE62_ALPHABET.length)
  })

  it('checksum is CRC-32 (IEEE) of everything before it', () => {
    expect(crc32('123456789')).toBe(0xcbf43926)
    const credential = formatCredential('kg', 'A'.repeat(16), 'b'.repeat(43))
    expect(parseCredential('kg', credential)).toEqual({ id: 'A'.repeat(16) })
  })
})

describe('encoding helpers', () => {
  it('base64url round-trips and rejects other alphabets', () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 251, 252, 253, 254, 255])
    expect(base64urlDecode(base64urlEncode(bytes))).toEqual(bytes)
    expect(base64urlEncode('{"a":1}')).toBe('eyJhIjoxfQ')
    expect(() => base64urlDecode('a+b/')).toThrow(TypeError)
  })

  it('constantTimeEqual compares content and length', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true)
    expect(constantTimeEqual('abc', 'abd')).toBe(false)
    expect(constantTimeEqual('abc', 'abcd')).toBe(false)
    expect(constantTimeEqual('', '')).toBe(true)
  })
})
