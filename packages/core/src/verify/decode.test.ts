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

describe('createJWSDecoder with a header it has seen', () => {
  const header = b64('{"alg":"ES256","kid":"k"}')
  const payload = b64('{"sub":"a"}')
  const signature = b64(new Uint8Array(64).fill(1))
  const good = `${header}.${payload}.${signature}`
  // The same bytes spelled with a spare bit set: decodes alike, but is not canonical.
  const twist = (segment: string) => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const twisted = `${segment.slice(0, -1)}${alphabet[alphabet.indexOf(segment.at(-1)!) | 1]}`
    expect(Buffer.from(twisted, 'base64url')).toEqual(Buffer.from(segment, 'base64url'))
    return twisted
  }

  // The header of the previous token is compared in place and only the rest is checked: the
  // rest must meet exactly the rules a first-seen token meets.
  it.each([
    ['a fourth segment', `${good}.${signature}`],
    ['an empty payload', `${header}..${signature}`],
    ['an empty signature', `${header}.${payload}.`],
    ['two segments', `${header}.${payload}`],
    ['a header only', `${header}.`],
    ['padding in the signature', `${good}==`],
    ['a "+" in the payload', `${header}.${payload.slice(0, 2)}+${payload.slice(3)}.${signature}`],
    ['a "/" in the signature', `${header}.${payload}.${signature.slice(0, 4)}/${signature.slice(5)}`],
    ['whitespace after the token', `${good}\n`],
    ['a non-canonical payload end', `${header}.${twist(payload)}.${signature}`],
    ['a non-canonical signature end', `${header}.${payload}.${twist(signature)}`],
    ['a duplicate payload member', `${header}.${b64('{"sub":"a","sub":"b"}')}.${signature}`],
  ])('%s is malformed', (_name, value) => {
    const decode = createJWSDecoder(8192)
    expect(decode(good).header).toEqual({ alg: 'ES256', kid: 'k' })
    expect(() => decode(value)).toThrow(expect.objectContaining({ code: 'ERR_TOKEN_MALFORMED' }))
    // And the remembered header still serves the next good token.
    expect(decode(good).claims).toEqual({ sub: 'a' })
  })

  it('a header segment that merely starts like the previous one is parsed on its own', () => {
    const decode = createJWSDecoder(8192)
    decode(good)
    // Same prefix, one more character: a different (here invalid) header, not the remembered one.
    expect(() => decode(`${header}A.${payload}.${signature}`)).toThrow(
      expect.objectContaining({ code: 'ERR_TOKEN_MALFORMED' }),
    )
    const other = `${b64('{"alg":"ES256","kid":"k2"}')}.${payload}.${signature}`
    expect(decode(other).header.kid).toBe('k2')
    expect(decode(good).header.kid).toBe('k')
  })
})

// A deterministic generator (mulberry32) of JSON object texts whose truth is known by
// construction: whether some object repeats a member name (spelled alike or through escapes)
// and whether some number overflows. The strict parser must agree on every one.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Generated {
  text: string
  duplicate: boolean
  overflow: boolean
}

function generateJSON(random: () => number): Generated {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!
  const ws = () => (random() < 0.15 ? pick([' ', '\n', '\t', '\r', '  ']) : '')
  // Names from a small set, so repeats are common; each may be spelled with escapes.
  const NAMES = ['a', 'b', 'sub', 'x:y', 'q"', 'back\\slash', 'é', '']
  const spell = (name: string): string => {
    let out = ''
    for (const ch of name) {
      const r = random()
      if (ch === '"') out += '\\"'
      else if (ch === '\\') out += '\\\\'
      else if (r < 0.2) out += `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`
      else out += ch
    }
    return `"${out}"`
  }
  let duplicate = false
  let overflow = false
  const value = (depth: number): string => {
    const r = random()
    if (depth < 3 && r < 0.2) return object(depth + 1)
    if (depth < 3 && r < 0.3) {
      const items = Array.from({ length: Math.floor(random() * 4) }, () => ws() + value(depth + 1) + ws())
      return `[${items.join(',')}]`
    }
    if (r < 0.45) return spell(pick(['plain', '":', '\\', '{"a":1}', 'x"y', ':']))
    if (r < 0.55) {
      overflow = true
      return pick(['1e400', '-1e400', '1E999', '-2e308'])
    }
    return pick(['0', '-1', '1.5', '1e3', '1e300', 'true', 'false', 'null', '123456789012345678901234'])
  }
  const object = (depth: number): string => {
    const count = Math.floor(random() * 5)
    const seen = new Set<string>()
    const members: string[] = []
    for (let i = 0; i < count; i++) {
      const name = pick(NAMES)
      if (seen.has(name)) duplicate = true
      seen.add(name)
      members.push(`${ws()}${spell(name)}${ws()}:${ws()}${value(depth)}${ws()}`)
    }
    return `{${members.join(',')}${ws()}}`
  }
  const text = ws() + object(0) + ws()
  return { text, duplicate, overflow }
}

describe('parseJSONObject on generated inputs', () => {
  it('agrees with the known truth on 20 000 objects (fixed seed)', () => {
    const random = mulberry32(0x6b657967)
    let duplicates = 0
    let accepted = 0
    for (let i = 0; i < 20_000; i++) {
      const { text, duplicate, overflow } = generateJSON(random)
      const parsed = parseJSONObject(text)
      const expected = !duplicate && !overflow
      if (expected !== (parsed !== undefined)) {
        throw new Error(`disagrees on ${JSON.stringify(text)}: expected ${expected ? 'accept' : 'reject'}`)
      }
      if (parsed !== undefined) {
        expect(parsed).toEqual(JSON.parse(text))
        accepted++
      }
      if (duplicate) duplicates++
    }
    // The generator exercises both sides.
    expect(duplicates).toBeGreaterThan(2_000)
    expect(accepted).toBeGreaterThan(2_000)
  })
})
