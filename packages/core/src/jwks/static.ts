import { ConfigurationError, KeyNotFoundError } from '../errors.js'
import type { JWK, JWKS } from '../types.js'
import { matchKey } from './match-key.js'
import { isPrivateJWK } from './private-key.js'
import type { JWKSSource, KeySelector } from './types.js'

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const OPTIONAL_STRINGS = ['kid', 'alg', 'use', 'crv', 'n', 'e', 'x', 'y', 'k'] as const

function checkKey(value: unknown, index: number): JWK {
  if (!isObject(value) || typeof value.kty !== 'string' || value.kty === '') {
    throw new ConfigurationError(`keys[${index}] is not a JWK (an object with a string "kty")`)
  }
  for (const name of OPTIONAL_STRINGS) {
    if (value[name] !== undefined && typeof value[name] !== 'string') {
      throw new ConfigurationError(`keys[${index}].${name} must be a string`)
    }
  }
  const ops = value.key_ops
  if (ops !== undefined && !(Array.isArray(ops) && ops.every((op) => typeof op === 'string'))) {
    throw new ConfigurationError(`keys[${index}].key_ops must be an array of strings`)
  }
  // A private or symmetric key has no place in a verification key set: publishing it would
  // let anyone sign. Secrets go in the issuer's `secret` option instead.
  if (isPrivateJWK(value) || value.kty === 'oct') {
    throw new ConfigurationError(
      `keys[${index}] is a private or symmetric key; only public keys are accepted`,
    )
  }
  return Object.freeze({ ...value }) as JWK
}

/**
 * A key source over a fixed JWKS or a single public JWK, checked once here: pinned keys,
 * tests, keys shipped with the deployment. Selection follows the same rules as the remote
 * source (`kid` match, `alg`/`kty`/`crv` compatibility, `use: 'sig'`); an unknown `kid` is a
 * `KeyNotFoundError`, never a fetch.
 *
 * @example
 * const source = createStaticJWKS({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: '…', kid: 'k1' }] })
 * const jwk = await source.getKey({ kid: 'k1', alg: 'EdDSA' })
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
export function createStaticJWKS(keys: JWKS | JWK): JWKSSource {
  if (!isObject(keys)) throw new ConfigurationError('keys must be a JWKS ({ keys: [...] }) or a JWK')
  let list: unknown[]
  if (Array.isArray(keys.keys)) list = keys.keys
  else if (typeof keys.kty === 'string') list = [keys]
  else throw new ConfigurationError('keys must be a JWKS ({ keys: [...] }) or a JWK')
  if (list.length === 0) throw new ConfigurationError('keys must hold at least one key')
  const held: readonly JWK[] = Object.freeze(list.map(checkKey))

  // Answers already found, by kid then alg. Only hits are kept, so the maps are bounded by the
  // key set (a flood of random kids adds nothing).
  const found = new Map<string | undefined, Map<string, JWK>>()

  function keyNow(selector: KeySelector): JWK | undefined {
    const known = found.get(selector.kid)?.get(selector.alg)
    if (known !== undefined) return known
    const match = matchKey(held, selector)
    if (!match.ok) return undefined
    let byAlg = found.get(selector.kid)
    if (byAlg === undefined) {
      byAlg = new Map()
      found.set(selector.kid, byAlg)
    }
    byAlg.set(selector.alg, match.key)
    return match.key
  }

  return {
    async getKey(selector: KeySelector): Promise<JWK> {
      const key = keyNow(selector)
      if (key === undefined) throw new KeyNotFoundError('No key in the configured key set matches the token')
      return key
    },
    keyNow,
    peek: () => held,
    reload: async () => {},
    close: () => {},
  }
}
