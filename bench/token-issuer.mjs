// What both POST /token benches (bench/issuer.mjs in process, bench/http/token.mjs over HTTP)
// set up: an issuer on the memory store with one API key, and the raw node:crypto signing key
// each algorithm is compared with.
import crypto from 'node:crypto'
import { createIssuer, createMemoryIssuerStore } from '../packages/core/dist/index.js'

export const FORM_BODY = 'grant_type=client_credentials'

/** A fresh issuer and the HTTP Basic credentials of its one API key. */
export async function benchIssuer(algorithm, options = {}) {
  const issuer = createIssuer({
    issuer: 'https://auth.bench',
    audience: 'https://api.bench',
    store: createMemoryIssuerStore(),
    encryptionKey: crypto.randomBytes(32),
    signing: { algorithm },
    ...options,
  })
  const { id, key } = await issuer.apiKeys.create({
    subject: 'svc-bench',
    name: 'bench',
    permissions: ['read', 'write'],
  })
  return { issuer, basic: Buffer.from(`${id}:${key}`).toString('base64') }
}

/** The fastest signing primitive per algorithm: `crypto.sign(digest, data, key)` with a KeyObject. */
export function rawSigningKey(algorithm) {
  if (algorithm === 'EdDSA') return { key: crypto.generateKeyPairSync('ed25519').privateKey, digest: null }
  if (algorithm === 'ES256') {
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
    return { key: { key: privateKey, dsaEncoding: 'ieee-p1363' }, digest: 'sha256' }
  }
  return { key: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, digest: 'sha256' }
}

/**
 * One CPU signing in a tight loop for `seconds`: signatures per second, the ceiling any issuer on
 * that CPU is compared with.
 */
export function rawSigningRate(algorithm, seconds) {
  const { key, digest } = rawSigningKey(algorithm)
  const data = Buffer.from('x'.repeat(400))
  const end = performance.now() + seconds * 1000
  let n = 0
  const start = performance.now()
  while (performance.now() < end) {
    for (let i = 0; i < 20; i++) crypto.sign(digest, data, key)
    n += 20
  }
  return n / ((performance.now() - start) / 1000)
}
