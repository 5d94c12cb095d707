/** Size rules both signature backends (node:crypto and WebCrypto) enforce, kept in one place. */

/** RFC 7518 §3.3/§3.5: RSA keys of 2048 bits or more MUST be used. */
export const MIN_RSA_BITS = 2048

/** ECDSA signatures are R || S, each the curve's size (RFC 7518 §3.4); Ed25519's are 64 bytes (RFC 8032). */
export const SIGNATURE_BYTES: Readonly<Record<string, number>> = {
  ES256: 64,
  ES384: 96,
  ES512: 132,
  EdDSA: 64,
  Ed25519: 64,
}
