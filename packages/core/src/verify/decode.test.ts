import { describe, expect, it } from 'vitest'
import { createBase64urlDecoder, hasCanonicalEnd, isCanonicalBase64url } from './base64url.js'
import { createJWSDecoder } from './decode.js'
import { parseJSONObject } from './json.js'

const b64 = (value: string | Uint8Array) => Buffer.from(value).toString('base64url')

describe('base64url', () => {
  it('accepts exactly the canonical spellings', () => {
    for (let length = 0; length < 40; length++) {
      const bytes = new Uint8Array(length).map((_, i) => (i * 37 + length) & 0xff)
      const encoded = b64(bytes)
      expect(isCanonicalBase64url(encoded)).toBe(true)
      // Every other spelling of the same bytes (spare bits set) is refused.
      const rest = encoded.length % 4
      if (rest !== 0) {
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
        const last = alphabet.indexOf(encoded.at(-1)!)
        const twisted = `${encoded.slice(0, -1)}${alphabet[last | 1]}`
        expect(Buffer.from(twisted, 'base64url')).toEqual(Buffer.from(bytes))
        expect(isCanonicalBase64url(twisted)).toBe(false)
      }
    }
  })

  it.each(['QQ==', 'QQ=', 'a+b/', 'ab cd', 'abcde', 'ab\ncd', 'é', 'QR'])('refuses %j', (value) => {
    expect(isCanonicalBase64url(value)).toBe(false)
  })

  it('hasCanonicalEnd looks only at length and spare bits', () => {
    expect(hasCanonicalEnd('')).toBe(true)
    expect(hasCanonicalEnd('A')).toBe(false)
    expect(hasCanonicalEnd('QQ')).toBe(true)
    expect(hasCanonicalEnd('QR')).toBe(false)
    expect(hasCanonicalEnd('QUE')).toBe(true)
    expect(hasCanonicalEnd('QUF')).toBe(false)
  })

  it('the Node and the portable decoders agree (bytes and strict UTF-8 text)', () => {
    const native = createBase64urlDecoder()
    const proc = globalThis.process as unknown as { getBuiltinModule?: unknown }
    const original = proc.getBuiltinModule
    proc.getBuiltinModule = undefined
    let portable: ReturnType<typeof createBase64urlDecoder>
    try {
      portable = createBase64urlDecoder()
    } finally {
      proc.getBuiltinModule = original
    }
    for (let length = 0; length < 300; length += 7) {
      const bytes = new Uint8Array(length).map((_, i) => (i * 131 + 7) & 0xff)
      expect(Uint8Array.from(portable.bytes(b64(bytes)))).toEqual(Uint8Array.from(native.bytes(b64(bytes))))
    }
    const text = '{"name":"Zoë ✓ 日本 😀"}'
    expect(portable.text(b64(text))).toBe(text)
    expect(native.text(b64(text))).toBe(text)
    // Larger than the initial scratch buffer: it grows.
    const big = JSON.stringify({ pad: 'x'.repeat(10_000) })
    expect(native.text(b64(big))).toBe(big)
    for (const decoder of [native, portable]) {
      expect(() => decoder.text(b64(new Uint8Array([0xc3, 0x28])))).toThrow()
      expect(decoder.text(b64('\uFEFF{}'))).toBe('\uFEFF{}')
    }
  })
})

describe('parseJSONObject', () => {
  it.each([
    ['{"a":1}', { a: 1 }],
    ['{ "a" : 1 , "b" : [ {"a":2} ] }', { a: 1, b: [{ a: 2 }] }],
    ['{"a":"\\"a\\":"}', { a: '"a":' }],
    ['{"a\\\\":1,"a":2}', { 'a\\': 1, a: 2 }],
    ['{"__proto__":1}', JSON.parse('{"__proto__":1}')],
    ['{}', {}],
  ])('accepts %s', (text, value) => {
    expect(parseJSONObject(text)).toEqual(value)
  })

  it.each([
    '{"a":1,"a":1}',
    '{"a":1, "a" :2}',
    '{"a":{"b":1,"b":2}}',
    '{"a":[{"b":1,"b":2}]}',
    '{"a":1,"\\u0061":2}',
    '{"a":1e400}',
    '{"a":[-1e400]}',
    '[1]',
    '"a"',
    'null',
    '1',
    '{"a":1',
    '',
  ])('refuses %s', (text) => {
    expect(parseJSONObject(text)).toBeUndefined()
  })
})

describe('createJWSDecoder', () => {
  const decode = createJWSDecoder(8192)
  const token = `${b64('{"alg":"ES256","kid":"k"}')}.${b64('{"sub":"a"}')}.${b64(new Uint8Array(64).fill(1))}`

  it('takes a token apart, once per segment', () => {
    const { header, claims, signingInput, signature } = decode(token)
    expect(header).toEqual({ alg: 'ES256', kid: 'k' })
    expect(claims).toEqual({ sub: 'a' })
    expect(signingInput).toBe(token.slice(0, token.lastIndexOf('.')))
    // Only checked here; the signature check decodes it (on Node into a reused buffer).
    expect(Array.from(Buffer.from(signature, 'base64url'))).toEqual(Array(64).fill(1))
  })

  it('remembers headers, frozen, and still checks each token’s payload', () => {
    const a = decode(token)
    const b = decode(token)
    expect(b.header).toBe(a.header)
    expect(Object.isFrozen(a.header)).toBe(true)
    expect(b.claims).not.toBe(a.claims)
    const dup = `${token.split('.')[0]}.${b64('{"sub":"a","sub":"b"}')}.${token.split('.')[2]}`
    expect(() => decode(dup)).toThrow(expect.objectContaining({ code: 'ERR_TOKEN_MALFORMED' }))
  })

  it('the header memory is bounded', () => {
    const small = createJWSDecoder(8192)
    for (let i = 0; i < 1000; i++) {
      const t = `${b64(`{"alg":"ES256","kid":"k${i}"}`)}.${b64('{}')}.${b64('sig')}`
      expect(small(t).header.kid).toBe(`k${i}`)
    }
  })

  it('a header with a nested member is frozen deeply', () => {
    const t = `${b64('{"alg":"ES256","jwk":{"kty":"EC"}}')}.${b64('{}')}.${b64('sig')}`
    const { header } = decode(t)
    expect(Object.isFrozen(header.jwk)).toBe(true)
  })

  it.each([
    ['too long', 'a'.repeat(8193)],
    ['one segment', 'abc'],
    ['empty header', `.${b64('{}')}.${b64('s')}`],
    ['empty payload', `${b64('{"alg":"ES256"}')}..${b64('s')}`],
    ['no alg', `${b64('{"kid":"k"}')}.${b64('{}')}.${b64('s')}`],
  ])('%s is malformed', (_name, value) => {
    expect(() => decode(value)).toThrow(expect.objectContaining({ code: 'ERR_TOKEN_MALFORMED' }))
  })
})
