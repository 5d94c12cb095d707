import { exportJWK } from 'jose/key/export'
import { importJWK, importPKCS8 } from 'jose/key/import'
import { ConfigurationError } from '../errors.js'
import type { JWK } from '../types.js'
import { base64urlDecode } from './encoding.js'
import type { SigningAlgorithm } from './store.js'

/**
 * Importing an existing private key as the issuer's first signing key — a deployment moving
 * from a service that signed with its own key (JWThenticator's `RSA_PRIVATE_KEY`) keeps every
 * token it issued verifiable. Web APIs only (jose over WebCrypto), like the rest of core.
 */

/** A private key to import: PEM (PKCS#8 `PRIVATE KEY`, or PKCS#1 `RSA PRIVATE KEY`), or a private JWK. */
export type InitialSigningKey = string | JWK

/** The members of a key, by `kty`, that are public; everything else a private JWK holds is dropped. */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['kty', 'n', 'e'],
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
}
const PRIVATE_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['d', 'p', 'q', 'dp', 'dq', 'qi'],
  EC: ['d'],
  OKP: ['d'],
}
/** What each algorithm signs with. */
const KEY_TYPE: Record<SigningAlgorithm, { kty: string; crv?: string }> = {
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  ES256: { kty: 'EC', crv: 'P-256' },
  RS256: { kty: 'RSA' },
}
/** RSA keys below 2048 bits are refused (NIST SP 800-131A; RFC 7518 §3.3 requires at least 2048). */
const MIN_RSA_BITS = 2048

const PEM = /^-----BEGIN ([A-Z ]+)-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END \1-----\s*$/

function invalid(message: string, cause?: unknown): ConfigurationError {
  return new ConfigurationError(`signing.initialKey: ${message}`, cause === undefined ? undefined : { cause })
}

/** DER length octets (X.690 §8.1.3). */
function derLength(length: number): number[] {
  if (length < 0x80) return [length]
  const bytes: number[] = []
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff)
  return [0x80 | bytes.length, ...bytes]
}

function der(tag: number, content: Uint8Array): Uint8Array {
  return Uint8Array.from([tag, ...derLength(content.length), ...content])
}

/**
 * Wraps a PKCS#1 `RSAPrivateKey` in a PKCS#8 `PrivateKeyInfo` (RFC 5208 §5): version 0, the
 * `rsaEncryption` algorithm identifier with NULL parameters, the PKCS#1 bytes as an OCTET
 * STRING. WebCrypto imports only PKCS#8.
 */
function pkcs1ToPKCS8(pkcs1: Uint8Array): Uint8Array {
  const version = Uint8Array.from([0x02, 0x01, 0x00])
  // SEQUENCE { OID 1.2.840.113549.1.1.1, NULL }
  const algorithm = Uint8Array.from([
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
  ])
  const key = der(0x04, pkcs1)
  const body = new Uint8Array(version.length + algorithm.length + key.length)
  body.set(version, 0)
  body.set(algorithm, version.length)
  body.set(key, version.length + algorithm.length)
  return der(0x30, body)
}

function base64(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

/** The private JWK of a PEM key. */
async function fromPEM(pem: string, algorithm: SigningAlgorithm): Promise<JWK> {
  const match = PEM.exec(pem.trim())
  if (!match) throw invalid('not a PEM private key')
  const label = match[1]!
  let pkcs8: string
  if (label === 'PRIVATE KEY') pkcs8 = pem.trim()
  else if (label === 'RSA PRIVATE KEY') {
    if (algorithm !== 'RS256') throw invalid(`an RSA key cannot sign ${algorithm}`)
    let bytes: Uint8Array
    try {
      bytes = Uint8Array.from(atob(match[2]!.replace(/\s+/g, '')), (c) => c.charCodeAt(0))
    } catch (error) {
      throw invalid('the PEM body is not base64', error)
    }
    const body = base64(pkcs1ToPKCS8(bytes)).replace(/(.{64})/g, '$1\n')
    pkcs8 = `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----`
  } else {
    // ENCRYPTED PRIVATE KEY, EC PRIVATE KEY (SEC1), PUBLIC KEY, CERTIFICATE, …
    throw invalid(`a "${label}" PEM is not supported (use an unencrypted PKCS#8 or PKCS#1 private key)`)
  }
  try {
    const key = await importPKCS8(pkcs8, algorithm, { extractable: true })
    return (await exportJWK(key)) as JWK
  } catch (error) {
    throw invalid(`the key cannot be imported for ${algorithm}`, error)
  }
}

/**
 * Parses and checks a private key for `algorithm`; returns its private JWK (only the members of
 * its key type) and its public JWK. Throws `ConfigurationError` for anything unusable: a public
 * key, an encrypted PEM, a key of another type, an RSA key under 2048 bits.
 */
export async function importSigningKey(
  input: InitialSigningKey,
  algorithm: SigningAlgorithm,
): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  let jwk: JWK
  if (typeof input === 'string') jwk = await fromPEM(input, algorithm)
  else if (typeof input === 'object' && input !== null) jwk = input
  else throw invalid('must be a PEM string or a private JWK')
  const expected = KEY_TYPE[algorithm]
  if (jwk.kty !== expected.kty || (expected.crv !== undefined && jwk.crv !== expected.crv)) {
    throw invalid(`the key type does not sign ${algorithm}`)
  }
  const publicMembers = PUBLIC_MEMBERS[jwk.kty]!
  const privateMembers = PRIVATE_MEMBERS[jwk.kty]!
  const publicJwk = {} as JWK
  const privateJwk = {} as JWK
  for (const name of publicMembers) if (jwk[name] !== undefined) publicJwk[name] = jwk[name]
  Object.assign(privateJwk, publicJwk)
  for (const name of privateMembers) if (jwk[name] !== undefined) privateJwk[name] = jwk[name]
  if (typeof privateJwk.d !== 'string') throw invalid('a private key is required, not a public one')
  if (jwk.kty === 'RSA') {
    let bits = 0
    try {
      bits = base64urlDecode(String(jwk.n)).length * 8
    } catch {
      // reported below
    }
    if (bits < MIN_RSA_BITS) throw invalid(`RSA keys must have at least ${MIN_RSA_BITS} bits`)
  }
  try {
    // Proves the members form a usable key before it is stored.
    await importJWK(privateJwk, algorithm)
  } catch (error) {
    throw invalid(`the key cannot be imported for ${algorithm}`, error)
  }
  return { privateJwk, publicJwk }
}
