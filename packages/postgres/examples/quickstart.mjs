// The README's quick start, as run by `pnpm --filter @keygate/postgres example`: an issuer on an
// in-memory PGlite store issues an API key, exchanges it for a token and lists the keys.
import { createIssuer } from '@keygate/core'
import { createPGliteStore } from '@keygate/postgres'

const store = await createPGliteStore() // in memory; { dataDir: './keygate-data' } keeps it on disk
const issuer = createIssuer({
  issuer: 'https://auth.example',
  audience: 'https://api.example',
  store,
  encryptionKey: 'demo-only-encryption-key-change-me-0123456789',
})

const { id, key } = await issuer.apiKeys.create({
  subject: 'svc-billing',
  name: 'billing',
  permissions: ['orders:read'],
})
const response = await issuer.handle(
  new Request('https://auth.example/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_secret: key }),
  }),
)
const { token_type, expires_in } = await response.json()
console.log(response.status, token_type, expires_in)
console.log((await issuer.apiKeys.list({ subject: 'svc-billing' })).map((k) => k.id === id))
await store.close()
