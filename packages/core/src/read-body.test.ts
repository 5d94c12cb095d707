import { describe, expect, it } from 'vitest'
import { BodyReadError, readRequestText } from './read-body.js'

const post = (body: BodyInit | null, headers: Record<string, string> = {}) =>
  new Request('http://127.0.0.1/token', { method: 'POST', headers, body, duplex: 'half' } as RequestInit)

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (error instanceof BodyReadError) return error.reason
    throw error
  }
  return 'no failure'
}

// A stream body that counts how often it was pulled: an endless one unless `chunks` is given.
function counted(chunks?: string[]) {
  const state = { pulled: 0 }
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      state.pulled += 1
      if (chunks === undefined) return controller.enqueue(new Uint8Array(1024).fill(0x61))
      const next = chunks.shift()
      if (next === undefined) controller.close()
      else controller.enqueue(new TextEncoder().encode(next))
    },
  })
  return { stream, state }
}

describe('readRequestText', () => {
  it('reads a body of declared length whole, as strict UTF-8', async () => {
    const body = 'grant_type=client_credentials&x=é'
    const length = String(new TextEncoder().encode(body).length)
    expect(await readRequestText(post(body, { 'content-length': length }), 64)).toBe(body)
    const bad = new Uint8Array([0x61, 0xff])
    expect(await failure(readRequestText(post(bad, { 'content-length': '2' }), 64))).toBe('encoding')
  })

  it('refuses a declared length over the limit before reading', async () => {
    const { stream, state } = counted()
    expect(await failure(readRequestText(post(stream, { 'content-length': '100000' }), 64))).toBe('too_large')
    expect(state.pulled).toBeLessThan(2)
  })

  it('still checks the bytes when the declared length lies (a request built in process)', async () => {
    const body = 'a'.repeat(100)
    expect(await failure(readRequestText(post(body, { 'content-length': '10' }), 64))).toBe('too_large')
  })

  it('reads undeclared, encoded or oddly declared bodies as a stream, stopping at the limit', async () => {
    for (const headers of [
      {},
      { 'content-encoding': 'gzip', 'content-length': '10' },
      { 'content-length': '1e3' },
    ]) {
      const { stream, state } = counted()
      expect(await failure(readRequestText(post(stream, headers), 4096))).toBe('too_large')
      expect(state.pulled).toBeLessThan(10)
    }
    const { stream } = counted(['grant_type=', 'client_credentials'])
    expect(await readRequestText(post(stream), 64)).toBe('grant_type=client_credentials')
  })

  it('reads an empty body as empty text, and a used body as a read failure', async () => {
    expect(await readRequestText(post(null, { 'content-length': '0' }), 64)).toBe('')
    const used = post('abc', { 'content-length': '3' })
    await used.text()
    expect(await failure(readRequestText(used, 64))).toBe('read')
  })
})
