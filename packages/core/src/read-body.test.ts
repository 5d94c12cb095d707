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

// A stream body of `total` bytes in chunks of `chunk` bytes (or of the given texts) that counts
// how often it was pulled.
function counted(source: { total: number; chunk: number } | string[]) {
  const state = { pulled: 0 }
  let sent = 0
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      state.pulled += 1
      if (Array.isArray(source)) {
        const next = source.shift()
        return next === undefined ? controller.close() : controller.enqueue(new TextEncoder().encode(next))
      }
      if (sent >= source.total) return controller.close()
      sent += source.chunk
      controller.enqueue(new Uint8Array(source.chunk).fill(0x61))
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
    // One byte at a time: reading up to the limit would take 65 pulls.
    const { stream, state } = counted({ total: 100_000, chunk: 1 })
    expect(await failure(readRequestText(post(stream, { 'content-length': '100000' }), 64))).toBe('too_large')
    expect(state.pulled).toBeLessThan(2)
  })

  it('refuses a body that does not match its declared length (a request rebuilt in process)', async () => {
    expect(await failure(readRequestText(post('a'.repeat(100), { 'content-length': '10' }), 64))).toBe(
      'too_large',
    )
    expect(await failure(readRequestText(post('a'.repeat(20), { 'content-length': '10' }), 64))).toBe('read')
    expect(await failure(readRequestText(post('a'.repeat(5), { 'content-length': '10' }), 64))).toBe('read')
  })

  it('streams undeclared, encoded, chunked or oddly declared bodies, stopping at the limit', async () => {
    for (const headers of [
      {} as Record<string, string>,
      { 'content-encoding': 'gzip', 'content-length': '10' },
      { 'transfer-encoding': 'chunked', 'content-length': '10' },
      { 'content-length': '1e3' },
    ]) {
      // 1 MiB in 1 KiB chunks: a reader that ignored the limit would pull 1024 times.
      const { stream, state } = counted({ total: 1024 * 1024, chunk: 1024 })
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
