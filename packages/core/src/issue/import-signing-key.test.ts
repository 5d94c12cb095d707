import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import { calculateJwkThumbprint, type JWK as JoseJWK, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { createMemoryIssuerStore } from './memory-store.js'
import { setup } from './test-fixtures.js'

function rsaKey(bits = 2048) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits })
  return {
    pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    pkcs1: privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    publicJwk: publicKey.export({ format: 'jwk' }) as JoseJWK,
    privateJwk: privateKey.export({ format: 'jwk' }),
  }
}

describe('signing.initialKey', () => {
  const rsa = rsaKey()

  it('stores a PKCS#8 PEM as the first current key: tokens verify with the original public key', async () => {
    const store = createMemoryIssuerStore()
    const fx = setup({ signing: { algorithm: 'RS256', initialKey: rsa.pkcs8 } }, store)
    await fx.issuer.ready()
    const kid = await calculateJwkThumbprint(rsa.publicJwk)
    const { keys } = await fx.issuer.jwks()
    expect(keys.map((k) => k.kid)).toEqual([kid])
    expect(keys[0]).toMatchObject({
      kty: 'RSA',
      n: rsa.publicJwk.n,
      e: rsa.publicJwk.e,
      alg: 'RS256',
      use: 'sig',
    })
    expect(keys[0]).not.toHaveProperty('d')
    const { accessToken } = await fx.issuer.createToken({ subject: 'svc' })
    const verified = await jwtVerify(accessToken, createPublicKey(rsa.publicPem), {
      currentDate: new Date(fx.clock.now),
    })
    expect(verified.protectedHeader.kid).toBe(kid)
    // Sealed at rest like generated keys: no private member in clear.
    const ring = await store.getSigningKeys()
    expect(JSON.stringify(ring)).not.toContain(String(rsa.privateJwk.d))
    expect(ring.keys[0]).toMatchObject({ id: kid, state: 'current', algorithm: 'RS256' })
    expect(fx.events).toContainEqual(expect.objectContaining({ type: 'signing_key_activated', kid }))
  })

  it('takes PKCS#1 (BEGIN RSA PRIVATE KEY) as the same key', async () => {
    const fx = setup({ signing: { algorithm: 'RS256', initialKey: rsa.pkcs1 } })
    const { keys } = await fx.issuer.jwks()
    expect(keys.map((k) => k.kid)).toEqual([await calculateJwkThumbprint(rsa.publicJwk)])
    const { accessToken } = await fx.issuer.createToken({ subject: 'svc' })
    await expect(
      jwtVerify(accessToken, createPublicKey(rsa.publicPem), { currentDate: new Date(fx.clock.now) }),
    ).resolves.toBeDefined()
  })

  it('takes a private JWK (Ed25519 for EdDSA)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    const jwk = privateKey.export({ format: 'jwk' }) as { kty: string }
    const fx = setup({ signing: { algorithm: 'EdDSA', initialKey: jwk } })
    const { keys } = await fx.issuer.jwks()
    expect(keys.map((k) => k.kid)).toEqual([
      await calculateJwkThumbprint(publicKey.export({ format: 'jwk' }) as JoseJWK),
    ])
  })

  it('is ignored once the store has keys, and rotation continues from it', async () => {
    const store = createMemoryIssuerStore()
    const first = setup(
      { signing: { algorithm: 'RS256', initialKey: rsa.pkcs8, rotateEvery: '10d', publishAhead: '1d' } },
      store,
    )
    await first.issuer.ready()
    const kid = await calculateJwkThumbprint(rsa.publicJwk)
    const other = rsaKey()
    const second = setup({ signing: { algorithm: 'RS256', initialKey: other.pkcs8 } }, store)
    expect((await second.issuer.jwks()).keys.map((k) => k.kid)).toEqual([kid])

    first.clock.advance(9 * 86_400_000)
    await first.issuer.rotateKeys()
    first.clock.advance(86_400_000)
    await first.issuer.rotateKeys()
    const ring = await store.getSigningKeys()
    expect(ring.keys.find((k) => k.id === kid)?.state).toBe('retired')
    expect(ring.keys.filter((k) => k.state === 'current').map((k) => k.id)).not.toContain(kid)
  })

  it('refuses unusable keys with ERR_CONFIGURATION at ready()', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const encrypted = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'secret',
    }) as string
    const cases = [
      { algorithm: 'RS256' as const, initialKey: rsa.publicPem },
      { algorithm: 'RS256' as const, initialKey: encrypted },
      {
        algorithm: 'RS256' as const,
        initialKey: ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      },
      { algorithm: 'RS256' as const, initialKey: rsaKey(1024).pkcs8 },
      {
        algorithm: 'RS256' as const,
        initialKey: '-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----',
      },
      { algorithm: 'RS256' as const, initialKey: 'garbage' },
      { algorithm: 'RS256' as const, initialKey: rsa.publicJwk as { kty: string } },
      { algorithm: 'ES256' as const, initialKey: rsa.pkcs1 },
      { algorithm: 'EdDSA' as const, initialKey: rsa.privateJwk as { kty: string } },
    ]
    for (const signing of cases) {
      const fx = setup({ signing })
      await expect(fx.issuer.ready()).rejects.toMatchObject({ code: 'ERR_CONFIGURATION' })
      // Nothing was stored: a fixed configuration imports on the next start.
      expect((await fx.store.getSigningKeys()).keys).toEqual([])
    }
  })
})
