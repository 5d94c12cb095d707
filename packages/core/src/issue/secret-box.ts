import { ConfigurationError } from '../errors.js'
import { base64urlDecode, base64urlEncode, utf8 } from './encoding.js'

/** HKDF input below this many bytes is rejected: AES-256 wants 256 bits of key material. */
export const MIN_ENCRYPTION_KEY_BYTES = 32

// A fixed, public salt is fine for HKDF over a high-entropy secret (RFC 5869 §3.1); the info
// strings separate the derived keys so one never doubles as another.
const HKDF_SALT = utf8('keygate/issuer/v1')
const SEAL_VERSION = 'v1'
const IV_BYTES = 12

/**
 * Encryption at rest for the issuer: AES-256-GCM under a key derived with HKDF-SHA-256 from the
 * configured secret, plus HMAC keys derived the same way for other purposes. Every sealed value
 * is bound to a context string (the signing key's id) through GCM's additional data, so a
 * ciphertext copied to another row does not decrypt.
 */
export interface SecretBox {
  seal(plaintext: string, context: string): Promise<string>
  open(sealed: string, context: string): Promise<string>
  /** HMAC-SHA-256 under a key derived for `purpose`. */
  mac(purpose: string, data: string): Promise<Uint8Array>
}

/** Creates a `SecretBox`; validates the key at once, derives subkeys lazily. */
export function createSecretBox(secret: string | Uint8Array): SecretBox {
  const material = typeof secret === 'string' ? utf8(secret) : secret
  if (!(material instanceof Uint8Array) || material.byteLength < MIN_ENCRYPTION_KEY_BYTES) {
    throw new ConfigurationError(
      `encryptionKey must be at least ${MIN_ENCRYPTION_KEY_BYTES} bytes of secret material (e.g. 32 random bytes, base64)`,
    )
  }
  const base = crypto.subtle.importKey('raw', material.slice(), 'HKDF', false, ['deriveKey'])
  const derived = new Map<string, Promise<CryptoKey>>()
  const derive = (info: string, algorithm: AesKeyGenParams | HmacKeyGenParams, usages: KeyUsage[]) => {
    let key = derived.get(info)
    if (!key) {
      key = base.then((k) =>
        crypto.subtle.deriveKey(
          { name: 'HKDF', hash: 'SHA-256', salt: HKDF_SALT, info: utf8(info) },
          k,
          algorithm,
          false,
          usages,
        ),
      )
      derived.set(info, key)
    }
    return key
  }
  const aes = () =>
    derive('keygate/aes-gcm/at-rest', { name: 'AES-GCM', length: 256 }, ['encrypt', 'decrypt'])

  return {
    async seal(plaintext, context) {
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES))
      const ciphertext = await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: utf8(context) },
        await aes(),
        utf8(plaintext),
      )
      return `${SEAL_VERSION}.${base64urlEncode(iv)}.${base64urlEncode(new Uint8Array(ciphertext))}`
    },
    async open(sealed, context) {
      const [version, iv, ciphertext, extra] = sealed.split('.')
      if (version !== SEAL_VERSION || !iv || !ciphertext || extra !== undefined) {
        throw new ConfigurationError('A sealed value in the issuer store has an unknown format')
      }
      try {
        const plaintext = await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: base64urlDecode(iv).slice(), additionalData: utf8(context) },
          await aes(),
          base64urlDecode(ciphertext).slice(),
        )
        return new TextDecoder().decode(plaintext)
      } catch (error) {
        // Wrong encryptionKey, or a tampered/moved row: a deployment problem, not a client's.
        throw new ConfigurationError(
          'A signing key in the issuer store cannot be decrypted with this encryptionKey',
          {
            cause: error,
          },
        )
      }
    },
    async mac(purpose, data) {
      const key = await derive(`keygate/hmac/${purpose}`, { name: 'HMAC', hash: 'SHA-256', length: 256 }, [
        'sign',
      ])
      return new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8(data)))
    },
  }
}
