import { describe, expect, it } from 'vitest'
import { fromNodeRequest, nodeHeaders } from './node-headers.js'

describe('nodeHeaders', () => {
  it('reads Node header objects case-insensitively and joins list headers', () => {
    const headers = nodeHeaders({ accept: ['a', 'b'], 'x-one': 'v' })
    expect(headers.get('Accept')).toBe('a, b')
    expect(headers.get('X-ONE')).toBe('v')
    expect(headers.get('missing')).toBeNull()
  })

  it('sees a repeated Authorization in the raw lines, which Node drops from `headers`', () => {
    const raw = ['Host', 'h', 'Authorization', 'Bearer a', 'accept', '*/*', 'AUTHORIZATION', ' Bearer b ']
    expect(nodeHeaders({ authorization: 'Bearer a' }, raw).get('authorization')).toBe('Bearer a, Bearer b')
    // A repeated Content-Type is two media types, as fetch would see them.
    const types = ['Content-Type', 'text/plain', 'content-type', 'application/json']
    expect(nodeHeaders({ 'content-type': 'text/plain' }, types).get('content-type')).toBe(
      'text/plain, application/json',
    )
  })

  it('joins the raw lines once, whatever Node made of them (joinDuplicateHeaders)', () => {
    const raw = ['authorization', 'Bearer a', 'authorization', 'Bearer b']
    expect(nodeHeaders({ authorization: 'Bearer a, Bearer b' }, raw).get('authorization')).toBe(
      'Bearer a, Bearer b',
    )
  })

  it("keeps Node's value when the header came once or was set by the application", () => {
    const once = ['Authorization', 'Bearer raw']
    // Middleware that rewrote the header is honoured: the raw line only counts repeats.
    expect(nodeHeaders({ authorization: 'Bearer rewritten' }, once).get('authorization')).toBe(
      'Bearer rewritten',
    )
    expect(nodeHeaders({ authorization: 'Bearer added' }, ['Host', 'h']).get('authorization')).toBe(
      'Bearer added',
    )
    // Without raw lines (a plain object), the value as it is.
    expect(nodeHeaders({ authorization: 'Bearer a' }).get('authorization')).toBe('Bearer a')
  })

  it('fromNodeRequest carries the raw lines and the URL', () => {
    const request = fromNodeRequest({
      headers: { authorization: 'Bearer a' },
      url: '/r?x=1',
      rawHeaders: ['authorization', 'Bearer a', 'authorization', 'Bearer b'],
    })
    expect(request.url).toBe('/r?x=1')
    expect(request.headers.get('authorization')).toBe('Bearer a, Bearer b')
  })
})
