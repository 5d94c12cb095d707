import { describe, expect, it } from 'vitest'
import { createSecretBox } from './secret-box.js'

const KEY = 'k'.repeat(32)

describe('createSecretBox', () => {
  it('seals with a fresh IV each time and opens in the same context only', async () => {
    const box = createSecretBox(KEY)
    const a = await box.seal('private-jwk', 'signing-key:1')
    const b = await box.seal('private-jwk', 'signing-key:1')
    expect(a).not.toBe(b)
    expect(a).not.toContain('private-jwk')
    expect(await box.open(a, 'signing-key:1')).toBe('private-jwk')
    await expect(box.open(a, 'signing-key:2')).rejects.toMatchObject({ code: 'ERR_CONFIGURATION' })
  })

  it('detects tampering and a different key', async () => {
    const box = createSecretBox(KEY)
    const sealed = await box.seal('secret', 'ctx')
    const [v, iv, ct] = sealed.split('.')
    // Change the first ciphertext character (all six of its bits are significant), never a
    // trailing one whose low bits may be padding.
    const flipped = `${v}.${iv}.${ct!.startsWith('A') ? 'B' : 'A'}${ct!.slice(1)}`
    expect(flipped).not.toBe(sealed)
    await expect(box.open(flipped, 'ctx')).rejects.toMatchObject({ code: 'ERR_CONFIGURATION' })
    await expect(createSecretBox('j'.repeat(32)).open(sealed, 'ctx')).rejects.toMatchObject({
      code: 'ERR_CONFIGURATION',
    })
    await expect(box.open('v2.x.y', 'ctx')).rejects.toMatchObject({ code: 'ERR_CONFIGURATION' })
  })

  it('rejects keys shorter than 32 bytes, accepts bytes', () => {
    expect(() => createSecretBox('short')).toThrow(expect.objectContaining({ code: 'ERR_CONFIGURATION' }))
    expect(() => createSecretBox(new Uint8Array(31))).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIGURATION' }),
    )
    expect(() => createSecretBox(new Uint8Array(32))).not.toThrow()
  })

  it('derives deterministic, purpose-separated MACs', async () => {
    const box = createSecretBox(KEY)
    const a = await box.mac('refresh-successor', 'id-1')
    expect(await box.mac('refresh-successor', 'id-1')).toEqual(a)
    expect(await box.mac('other-purpose', 'id-1')).not.toEqual(a)
    expect(await createSecretBox('j'.repeat(32)).mac('refresh-successor', 'id-1')).not.toEqual(a)
  })
})
