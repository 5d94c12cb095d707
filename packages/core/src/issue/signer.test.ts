import { compactVerify, exportJWK, generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import type { JWK } from '../types.js'
import { base64urlEncode, utf8 } from './encoding.js'
import { nodeCrypto } from './node-crypto.js'
import { createSigner } from './signer.js'

describe.each(['EdDSA', 'ES256', 'RS256'] as const)('createSigner (%s)', (algorithm) => {
  it.each([
    ['node:crypto', nodeCrypto],
    ['WebCrypto (edge runtimes)', undefined],
  ])('%s produces JWS signatures jose verifies', async (_path, node) => {
    const { publicKey, privateKey } = await generateKeyPair(algorithm, { extractable: true })
    const sign = await createSigner(algorithm, (await exportJWK(privateKey)) as JWK, node)
    const input = `${base64urlEncode(JSON.stringify({ alg: algorithm }))}.${base64urlEncode('{"sub":"x"}')}`
    const jws = `${input}.${base64urlEncode(await sign(utf8(input)))}`
    const { payload } = await compactVerify(jws, publicKey)
    expect(new TextDecoder().decode(payload)).toBe('{"sub":"x"}')
  })
})
