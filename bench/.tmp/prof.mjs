import crypto from 'node:crypto'
import { SignJWT } from 'jose'
import { createAuth } from '/work/main/packages/core/dist/index.js'
const now = Math.floor(Date.now() / 1000)
const CLAIMS = { iss: 'https://issuer.bench', aud: 'https://api.bench', sub: 'user-4f1c2a', iat: now, nbf: now, exp: now + 3600, jti: 'b7e0c2d4-1a6f-4b0e-9d2a-6c8f1e3a5b7d', scope: 'orders:read orders:write profile', client_id: 'bench-client' }
const secret = crypto.randomBytes(32)
const token = await new SignJWT(CLAIMS).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret)
const auth = createAuth({ issuer: CLAIMS.iss, audience: CLAIMS.aud, secret, algorithms: ['HS256'] })
const N = +process.argv[2] || 200000
for (let r = 0; r < 3; r++) {
  const t = performance.now()
  for (let i = 0; i < N; i++) await auth.verify(token)
  const dt = performance.now() - t
  console.log('keygate HS256', (dt / N * 1000).toFixed(2), 'µs/op')
}
const dot = token.lastIndexOf('.')
const input = Buffer.from(token.slice(0, dot), 'latin1'); const sig = Buffer.from(token.slice(dot + 1), 'base64url')
const key = crypto.createSecretKey(secret)
for (let r = 0; r < 3; r++) {
  const t = performance.now()
  for (let i = 0; i < N; i++) crypto.timingSafeEqual(crypto.createHmac('sha256', key).update(input).digest(), sig)
  console.log('floor HS256', ((performance.now() - t) / N * 1000).toFixed(2), 'µs/op')
}
