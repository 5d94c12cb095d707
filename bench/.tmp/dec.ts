import crypto from 'node:crypto'
import { SignJWT } from 'jose'
import { createBase64urlDecoder, isCanonicalBase64url } from '../../packages/core/src/verify/base64url.js'
import { decodeJWS } from '../../packages/core/src/verify/decode.js'
import { parseJSONObject } from '../../packages/core/src/verify/json.js'
const now = Math.floor(Date.now() / 1000)
const CLAIMS = { iss: 'https://issuer.bench', aud: 'https://api.bench', sub: 'user-4f1c2a', iat: now, nbf: now, exp: now + 3600, jti: 'b7e0c2d4-1a6f-4b0e-9d2a-6c8f1e3a5b7d', scope: 'orders:read orders:write profile', client_id: 'bench-client' }
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
const token = await new SignJWT(CLAIMS).setProtectedHeader({ alg: 'RS256', kid: 'k', typ: 'JWT' }).sign(privateKey)
const decode = createBase64urlDecoder()
let sink: unknown
function bench(name: string, fn: () => unknown, n = 200000) {
  for (let i = 0; i < n / 10; i++) fn()
  let best = Infinity
  for (let r = 0; r < 5; r++) {
    const t = performance.now()
    for (let i = 0; i < n; i++) sink = fn()
    best = Math.min(best, (performance.now() - t) / n * 1000)
  }
  console.log(name.padEnd(30), best.toFixed(3), 'µs')
}
const [h, p, s] = token.split('.')
const td = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const ptext = JSON.stringify(CLAIMS)
bench('decodeJWS', () => decodeJWS(token, 8192, decode))
bench('canon x3', () => isCanonicalBase64url(h!) && isCanonicalBase64url(p!) && isCanonicalBase64url(s!))
bench('one regex', () => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token))
bench('decode p', () => decode(p!))
bench('decode s', () => decode(s!))
bench('td p', () => td.decode(decode(p!)))
bench('buf toString p', () => (decode(p!) as Buffer).toString())
bench('JSON.parse p', () => JSON.parse(ptext))
bench('parseJSONObject p', () => parseJSONObject(ptext))
bench('split', () => token.split('.'))
console.log(token.length)
