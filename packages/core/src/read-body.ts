/**
 * Reading a Web `Request` or `Response` body as UTF-8 text with a byte limit — the one reader
 * behind the issuer's request bodies and the JWKS/discovery responses. The limit is checked
 * against `Content-Length` before reading and against the bytes while reading, so a missing or
 * lying length does not help a sender.
 */

/** Why a body could not be read; each caller maps it to its own error. */
export type BodyReadFailure = 'too_large' | 'read' | 'encoding'

/** Internal: thrown by `readBodyText`, never escapes core (callers translate it). */
export class BodyReadError extends Error {
  constructor(
    readonly reason: BodyReadFailure,
    options?: { cause?: unknown },
  ) {
    super(`body ${reason}`, options)
  }
}

/** One decoder for every body: `decode` without `stream` keeps no state between calls. */
const UTF8 = new TextDecoder('utf-8', { fatal: true })

/** Reads the whole body as strict UTF-8, refusing more than `maxBytes`; throws `BodyReadError`. */
export async function readBodyText(message: Request | Response, maxBytes: number): Promise<string> {
  const declared = message.headers.get('content-length')
  if (declared !== null && Number(declared) > maxBytes) {
    await message.body?.cancel().catch(() => {})
    throw new BodyReadError('too_large')
  }
  if (!message.body) return ''
  const reader = message.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > maxBytes) {
        await reader.cancel().catch(() => {})
        throw new BodyReadError('too_large')
      }
      chunks.push(value)
    }
  } catch (error) {
    if (error instanceof BodyReadError) throw error
    throw new BodyReadError('read', { cause: error })
  }
  return decodeUTF8(concatBytes(chunks, size))
}

// A Content-Length as a server receives it: digits only.
const DECIMAL_LENGTH = /^\d{1,15}$/

/**
 * `readBodyText` for a request a server received. With a declared `Content-Length` within the
 * limit (and no `Content-Encoding` or `Transfer-Encoding`), the runtime reads the body whole: it
 * costs less than a stream, and on @hono/node-server it reads Node's request directly instead of
 * building a fetch `Request` around it. This relies on the server having framed the body by
 * that length (Node's HTTP/1 and HTTP/2 servers, node-server, Bun, Deno and Workers all do:
 * further bytes would be the next request). A body that does not match its declared length —
 * a `Request` rebuilt in process with a new body and stale headers — is refused. Anything else
 * (chunked, encoded, over the limit) streams through `readBodyText` and its limit.
 */
export async function readRequestText(request: Request, maxBytes: number): Promise<string> {
  const { headers } = request
  const declared = headers.get('content-length')
  if (
    declared === null ||
    !DECIMAL_LENGTH.test(declared) ||
    Number(declared) > maxBytes ||
    headers.has('content-encoding') ||
    headers.has('transfer-encoding')
  ) {
    return readBodyText(request, maxBytes)
  }
  let bytes: Uint8Array
  try {
    bytes = new Uint8Array(await request.arrayBuffer())
  } catch (error) {
    throw new BodyReadError('read', { cause: error })
  }
  if (bytes.byteLength !== Number(declared)) {
    throw new BodyReadError(bytes.byteLength > maxBytes ? 'too_large' : 'read')
  }
  return decodeUTF8(bytes)
}

/** Strict UTF-8 decoding; throws `BodyReadError('encoding')`. */
export function decodeUTF8(bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes)
  } catch (error) {
    throw new BodyReadError('encoding', { cause: error })
  }
}

/** The chunks of a body as one byte array (the chunk itself when there is one); `size` is their total. */
export function concatBytes(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}
