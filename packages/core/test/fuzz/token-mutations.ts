/**
 * Mutations of validly signed compact JWS tokens, as fast-check arbitraries: the inputs that
 * find verifier bugs are near-misses of good tokens (one flipped bit, a swapped `alg`, claims
 * re-encoded under the old signature), not random strings. Any mutation that changes the
 * token must be refused: none of them produces a signature over the new bytes.
 */
import fc from 'fast-check'
import { b64u, unb64u } from './fuzz-params.js'

/** One change to a token; `applyMutation` interprets it. */
export type Mutation =
  /** XOR one decoded byte of a segment, re-encoded canonically: a different, well-formed segment. */
  | { kind: 'flip'; segment: number; index: number; mask: number }
  /** Replace one character of the token text. */
  | { kind: 'char'; index: number; char: string }
  | { kind: 'insert'; index: number; text: string }
  | { kind: 'delete'; index: number; count: number }
  | { kind: 'truncate'; keep: number }
  /** Reorder, drop or repeat segments (`[0, 1]`, `[0, 2, 1]`, `[0, 1, 2, 2]`…). */
  | { kind: 'segments'; order: readonly number[] }
  /** Re-encode the header (0) or the payload (1) with members set or dropped; signature kept. */
  | { kind: 'members'; segment: number; set: Record<string, unknown>; drop: string[] }
  /** Re-serialize the header or payload JSON differently (same meaning or near it); signature kept. */
  | { kind: 'reserialize'; segment: number; style: Reserialization }
  /** Put the signature (or the header) of another genuine token in place. */
  | { kind: 'graft'; part: number }

export type Reserialization = 'spaces' | 'reorder' | 'duplicate' | 'escape' | 'bom' | 'nested-proto'

const ALGS = [
  'none',
  'NONE',
  'nOnE',
  'HS256',
  'HS512',
  'RS256',
  'RS384',
  'PS256',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'rs256',
  '',
  'RS256 ',
]

/** Values that break a header: other algorithms, odd kids and types, extensions. */
export const headerMember: fc.Arbitrary<[string, unknown]> = fc.oneof(
  fc.tuple(fc.constant('alg'), fc.oneof(fc.constantFrom(...ALGS), fc.jsonValue({ maxDepth: 1 }))),
  fc.tuple(
    fc.constant('kid'),
    fc.oneof(fc.constantFrom('', 'other', '../../etc/passwd', null, 1, ['k']), fc.string()),
  ),
  fc.tuple(
    fc.constant('typ'),
    fc.constantFrom('JWT', 'at+jwt', 'application/at+jwt', 'dpop+jwt', 'logout+jwt', 'secevent+jwt', 7, null),
  ),
  fc.tuple(fc.constant('crit'), fc.constantFrom(['exp'], [], 'exp', ['b64'])),
  fc.tuple(fc.constant('b64'), fc.constantFrom(false, true)),
  fc.tuple(
    fc.constantFrom('jku', 'x5u', 'jwk', 'x5c'),
    fc.constantFrom('https://evil.example/jwks', { kty: 'oct', k: 'AAAA' }, ['MIIB']),
  ),
  fc.tuple(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 })),
)

const NOW_S = Math.floor(Date.now() / 1000)

/** Values that break a claim set: types, times, audiences, issuers. */
export const claimMember: fc.Arbitrary<[string, unknown]> = fc.oneof(
  fc.tuple(
    fc.constantFrom('exp', 'nbf', 'iat'),
    fc.oneof(
      fc.constantFrom(NOW_S + 3600, NOW_S - 3600, NOW_S + 10, 1e308, -1, 0, `${NOW_S + 3600}`, null, 1.5),
      fc.integer(),
      fc.double(),
    ),
  ),
  fc.tuple(
    fc.constantFrom('aud', 'iss', 'sub', 'jti'),
    fc.oneof(
      fc.constantFrom('https://api.test', ['https://api.test', 1], ['https://api.test', null], [], {}, 42),
      fc.jsonValue({ maxDepth: 2 }),
    ),
  ),
  fc.tuple(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 })),
)

/** A mutation of a three-segment token. */
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('flip' as const),
      segment: fc.integer({ min: 0, max: 2 }),
      index: fc.nat(),
      mask: fc.integer({ min: 1, max: 255 }),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('char' as const),
      index: fc.nat(),
      char: fc.oneof(
        fc.constantFrom('A', 'a', '-', '_', '.', '=', '+', '/', ' ', '\t', '\n', '\0', 'é', '\uD800'),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      ),
    }),
    weight: 3,
  },
  fc.record({
    kind: fc.constant('insert' as const),
    index: fc.nat(),
    text: fc.oneof(
      fc.constantFrom('.', '..', '=', '==', ' ', 'A', '.eyJ9'),
      fc.string({ unit: 'binary', maxLength: 4 }),
    ),
  }),
  fc.record({ kind: fc.constant('delete' as const), index: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat() }),
  fc.record({
    kind: fc.constant('segments' as const),
    order: fc.oneof(
      fc.constantFrom(
        [0, 1],
        [0],
        [1, 0, 2],
        [0, 2, 1],
        [0, 1, 2, 2],
        [0, 0, 2],
        [0, 1, 1],
        [2, 1, 0],
        [0, 1, 2, 0, 1],
      ),
      fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 5 }),
    ),
  }),
  {
    arbitrary: fc.record({
      kind: fc.constant('members' as const),
      segment: fc.constant(0),
      set: fc.array(headerMember, { maxLength: 3 }).map((entries) => Object.fromEntries(entries)),
      drop: fc.subarray(['alg', 'kid', 'typ']),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('members' as const),
      segment: fc.constant(1),
      set: fc.array(claimMember, { maxLength: 3 }).map((entries) => Object.fromEntries(entries)),
      drop: fc.subarray(['iss', 'aud', 'exp', 'sub', 'iat']),
    }),
    weight: 3,
  },
  fc.record({
    kind: fc.constant('reserialize' as const),
    segment: fc.integer({ min: 0, max: 1 }),
    style: fc.constantFrom<Reserialization>(
      'spaces',
      'reorder',
      'duplicate',
      'escape',
      'bom',
      'nested-proto',
    ),
  }),
  fc.record({ kind: fc.constant('graft' as const), part: fc.constantFrom(0, 2) }),
)

/** The JSON object a segment holds, or `undefined` once earlier mutations broke it. */
function decodeJSON(segment: string | undefined): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(unb64u(segment ?? '')))
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

function reserialize(value: Record<string, unknown>, style: Reserialization): string {
  switch (style) {
    case 'spaces':
      return JSON.stringify(value, null, 1)
    case 'reorder':
      return JSON.stringify(Object.fromEntries(Object.entries(value).reverse()))
    case 'duplicate': {
      // The first member again, with another value: a parser keeping the last one reads a
      // different token than one keeping the first.
      const [name] = Object.keys(value)
      return `{${JSON.stringify(name ?? 'x')}:"dup",${JSON.stringify(value).slice(1)}`
    }
    case 'escape':
      // The same JSON text with every letter of member names \u-escaped: equal after parsing.
      return JSON.stringify(value).replace(/"([a-z]+)":/g, (_, name: string) => {
        const escaped = [...name].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
        return `"${escaped.join('')}":`
      })
    case 'bom':
      return `\uFEFF${JSON.stringify(value)}`
    case 'nested-proto':
      return JSON.stringify({ ...value, __proto__x: 1 }).replace('"__proto__x"', '"__proto__"')
  }
}

/** Applies `m` to `token`; `donor` is another genuine token (for grafts). */
export function applyMutation(token: string, m: Mutation, donor: string): string {
  const parts = token.split('.')
  switch (m.kind) {
    case 'flip': {
      const segment = m.segment % parts.length
      const bytes = unb64u(parts[segment]!)
      if (bytes.length === 0) return token
      bytes[m.index % bytes.length]! ^= m.mask
      parts[segment] = b64u(bytes)
      return parts.join('.')
    }
    case 'char': {
      const i = m.index % token.length
      return token.slice(0, i) + m.char + token.slice(i + 1)
    }
    case 'insert': {
      const i = m.index % (token.length + 1)
      return token.slice(0, i) + m.text + token.slice(i)
    }
    case 'delete': {
      const i = m.index % token.length
      return token.slice(0, i) + token.slice(i + m.count)
    }
    case 'truncate':
      return token.slice(0, m.keep % token.length)
    case 'segments':
      return m.order.map((i) => parts[i] ?? '').join('.')
    case 'members': {
      const value = decodeJSON(parts[m.segment])
      if (value === undefined) return token
      for (const name of m.drop) delete value[name]
      Object.assign(value, m.set)
      parts[m.segment] = b64u(JSON.stringify(value))
      return parts.join('.')
    }
    case 'reserialize': {
      const value = decodeJSON(parts[m.segment])
      if (value === undefined) return token
      parts[m.segment] = b64u(reserialize(value, m.style))
      return parts.join('.')
    }
    case 'graft': {
      if (parts.length < 3) return token
      parts[m.part] = donor.split('.')[m.part]!
      return parts.join('.')
    }
  }
}
