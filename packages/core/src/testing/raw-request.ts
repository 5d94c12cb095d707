import { concatBytes } from '../read-body.js'
import { getBuiltin } from '../runtime.js'

/** The answer to `sendRawRequest`: status, lower-cased headers (repeats joined) and body text. */
export interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
}

interface NodeSocket {
  on(event: 'data', listener: (chunk: Uint8Array) => void): NodeSocket
  on(event: 'end' | 'close', listener: () => void): NodeSocket
  on(event: 'error', listener: (error: Error) => void): NodeSocket
  end(data: string): void
  destroy(): void
}

interface NodeNet {
  connect(port: number, host: string, onConnect: () => void): NodeSocket
}

/**
 * Sends one HTTP/1.1 request over a plain socket, header lines exactly as given — what `fetch`
 * cannot do: a header sent twice reaches the server as two lines (fetch joins them into one).
 * The connection is closed after the answer. Loopback servers in tests; needs Node.
 *
 * @example
 * const answer = await sendRawRequest(`${url}/protected`, [['authorization', `Bearer ${a}`], ['authorization', `Bearer ${b}`]])
 */
export async function sendRawRequest(
  url: string,
  headers: ReadonlyArray<readonly [string, string]>,
  options: { method?: string; body?: string } = {},
): Promise<RawResponse> {
  const net = getBuiltin<NodeNet>('node:net')
  if (!net) throw new Error('sendRawRequest() needs node:net')
  const target = new URL(url)
  if (target.protocol !== 'http:') throw new Error('sendRawRequest() speaks plain HTTP only')
  const lines = [
    `${options.method ?? 'GET'} ${target.pathname}${target.search} HTTP/1.1`,
    `host: ${target.host}`,
  ]
  for (const [name, value] of headers) lines.push(`${name}: ${value}`)
  if (options.body !== undefined)
    lines.push(`content-length: ${new TextEncoder().encode(options.body).length}`)
  lines.push('connection: close', '', options.body ?? '')
  const raw = await new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Uint8Array[] = []
    const socket = net.connect(Number(target.port || 80), target.hostname, () =>
      socket.end(lines.join('\r\n')),
    )
    // A server that never answers fails the test rather than hanging it.
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no answer from ${target.host} within ${TIMEOUT_MS} ms`))
    }, TIMEOUT_MS)
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(concat(chunks))
    })
  })
  const split = indexOf(raw, CRLF_CRLF, 0)
  const decoder = new TextDecoder()
  if (split < 0) throw new Error(`not an HTTP answer: ${decoder.decode(raw.subarray(0, 100))}`)
  const [statusLine = '', ...headerLines] = decoder.decode(raw.subarray(0, split)).split('\r\n')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1])
  if (!Number.isInteger(status)) throw new Error(`not an HTTP status line: ${statusLine}`)
  const answer: Record<string, string> = {}
  for (const line of headerLines) {
    const colon = line.indexOf(':')
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    answer[name] = name in answer ? `${answer[name]}, ${value}` : value
  }
  let body = raw.subarray(split + 4)
  if (/\bchunked\b/i.test(answer['transfer-encoding'] ?? '')) body = unchunk(body)
  return { status, headers: answer, body: decoder.decode(body) }
}

const CRLF = [13, 10]
const TIMEOUT_MS = 10_000
const CRLF_CRLF = [13, 10, 13, 10]

function indexOf(bytes: Uint8Array, pattern: number[], from: number): number {
  outer: for (let i = from; i + pattern.length <= bytes.length; i++) {
    for (let j = 0; j < pattern.length; j++) if (bytes[i + j] !== pattern[j]) continue outer
    return i
  }
  return -1
}

function concat(chunks: Uint8Array[]): Uint8Array {
  return concatBytes(
    chunks,
    chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0),
  )
}

// A chunked body's data (RFC 9112 §7.1); trailers are ignored.
function unchunk(body: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = []
  let at = 0
  for (;;) {
    const end = indexOf(body, CRLF, at)
    if (end < 0) break
    const size = Number.parseInt(new TextDecoder().decode(body.subarray(at, end)), 16)
    if (!(size > 0)) break
    parts.push(body.subarray(end + 2, end + 2 + size))
    at = end + 2 + size + 2
  }
  return concat(parts)
}
