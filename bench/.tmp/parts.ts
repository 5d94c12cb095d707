import crypto from 'node:crypto'
import { SignJWT } from 'jose'
import { createBase64urlDecoder } from '../../packages/core/src/verify/base64url.js'
import { decodeJWS } from '../../packages/core/src/verify/decode.js'
import { checkClaims } from '../../packages/core/src/verify/claims.js'
import { createPrincipalBuilder } from '../../packages/core/src/authorize/principal.js'
import { createAuth } from '../../packages/core/src/verify/create-auth.js'

const now = Math.floor(Date.now() / 1000)
const CLAIMS = { iss: 'https://issuer.bench', aud: 'https://api.bench', sub: 'user-4f1c2a', iat: now, nbf: now, exp: now + 3600, jti: 'b7e0c2d4-1a6f-4b0e-9d2a-6c8f1e3a5b7d', scope: 'orders:read orders:write profile', client_id: 'bench-client' }
const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k', alg: 'RS256' }
const token = await new SignJWT(CLAIMS).setProtectedHeader({ alg: 'RS256', kid: 'k', typ: 'JWT' }).sign(privateKey)
const decode = createBase64urlDecoder()
const build = createPrincipalBuilder()
let sink: unknown
async function bench(name: string, fn: () => unknown, n = 100000, isAsync = false) {
  for (let i = 0; i < n / 10; i++) isAsync ? await fn() : fn()
  let best = Infinity
  for (let r = 0; r < 5; r++) {
    const t = performance.now()
    if (isAsync) for (let i = 0; i < n; i++) sink = await fn()
    else for (let i = 0; i < n; i++) sink = fn()
    best = Math.min(best, (performance.now() - t) / n * 1000)
  }
  console.log(name.padEnd(30), best.toFixed(2), 'µs')
}
const policy = { audiences: ['https://api.bench'], toleranceMs: 60000, maxAgeMs: undefined, requireExp: true, requiredClaims: [] }
await bench('decodeJWS', () => decodeJWS(token, 8192, decode))
const d = decodeJWS(token, 8192, decode)
await bench('checkClaims', () => checkClaims(d.claims, policy, Date.now()))
await bench('buildPrincipal', () => build({ header: d.header, claims: d.claims, token, issuer: 'x' }), 100000, true)
await bench('async noop', async () => 1, 100000, true)
const dot = token.lastIndexOf('.')
const input = Buffer.from(token.slice(0, dot), 'latin1'); const sig = Buffer.from(token.slice(dot + 1), 'base64url')
await bench('floor RS256', () => crypto.verify('sha256', input, publicKey, sig), 5000)
const auth = createAuth({ issuer: CLAIMS.iss, audience: CLAIMS.aud, keys: { keys: [jwk as never] } })
await bench('keygate RS256', () => auth.verify(token), 5000, true)
await bench('floor RS256', () => crypto.verify('sha256', input, publicKey, sig), 5000)
await bench('keygate RS256', () => auth.verify(token), 5000, true)
