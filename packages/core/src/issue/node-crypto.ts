import { getBuiltin } from '../runtime.js'

/**
 * The slice of `node:crypto` the issuer's fast paths use, typed here because core compiles
 * without `@types/node`. Reached at run time through `getBuiltin`: `undefined` off Node, where
 * every caller falls back to WebCrypto.
 */
export interface NodeKeyObject {
  readonly type: string
}

export type NodeSignKey = NodeKeyObject | { key: NodeKeyObject; dsaEncoding: 'ieee-p1363' }

export interface NodeCrypto {
  /** One-shot digest (Node ≥ 20.12): several times cheaper than `createHash` for short inputs. */
  hash?(algorithm: string, data: string, outputEncoding: 'base64url'): string
  createHash(algorithm: string): { update(data: string | Uint8Array): { digest(): Uint8Array } }
  createHmac(
    algorithm: string,
    key: Uint8Array,
  ): { update(data: string | Uint8Array): { digest(): Uint8Array } }
  createPrivateKey(input: { key: Record<string, unknown>; format: 'jwk' }): NodeKeyObject
  createPublicKey(input: { key: Record<string, unknown>; format: 'jwk' }): NodeKeyObject
  sign(algorithm: string | null, data: Uint8Array, key: NodeSignKey): Uint8Array
  sign(
    algorithm: string | null,
    data: Uint8Array,
    key: NodeSignKey,
    callback: (error: Error | null, signature: Uint8Array) => void,
  ): void
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean
}

/** `node:crypto` when running on Node (or Bun/Deno's compatibility layer), else `undefined`. */
export const nodeCrypto: NodeCrypto | undefined = getBuiltin<NodeCrypto>('node:crypto')

interface NodeBuffer {
  from(data: Uint8Array | string, encoding?: string): Uint8Array & { toString(encoding: string): string }
  from(
    buffer: ArrayBufferLike,
    byteOffset: number,
    length: number,
  ): Uint8Array & { toString(encoding: string): string }
}

/** `Buffer` from `node:buffer`, for fast base64url; `undefined` off Node. */
export const nodeBuffer: NodeBuffer | undefined = getBuiltin<{ Buffer: NodeBuffer }>('node:buffer')?.Buffer
