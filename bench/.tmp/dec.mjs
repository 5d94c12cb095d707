// bench/.tmp/dec.ts
import crypto from "node:crypto";
import { SignJWT } from "jose";

// packages/core/src/runtime.ts
function getBuiltin(id) {
  const proc = globalThis.process;
  if (!proc || typeof proc.getBuiltinModule !== "function") return void 0;
  try {
    return proc.getBuiltinModule(id);
  } catch {
    return void 0;
  }
}

// packages/core/src/verify/base64url.ts
var ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
var INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) INDEX[ALPHABET.charCodeAt(i)] = i;
var ALPHABET_ONLY = /^[A-Za-z0-9_-]*$/;
function isCanonicalBase64url(segment) {
  if (!ALPHABET_ONLY.test(segment)) return false;
  const rest = segment.length & 3;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const last = INDEX[segment.charCodeAt(segment.length - 1)];
  return (last & (rest === 2 ? 15 : 3)) === 0;
}
function decodePortable(segment) {
  const out = new Uint8Array(segment.length * 3 >>> 2);
  let bits = 0;
  let value = 0;
  let o = 0;
  for (let i = 0; i < segment.length; i++) {
    value = value << 6 | INDEX[segment.charCodeAt(i)];
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = value >>> bits & 255;
    }
  }
  return out;
}
function createBase64urlDecoder() {
  const buffer = getBuiltin("node:buffer")?.Buffer;
  if (buffer) return (segment) => buffer.from(segment, "base64url");
  return decodePortable;
}

// packages/core/src/errors.ts
var BRAND = /* @__PURE__ */ Symbol.for("keygate.AuthError");
var AuthError = class extends Error {
  constructor(message, options) {
    super(message, options?.cause === void 0 ? void 0 : { cause: options.cause });
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: true });
  }
  /** True for any Keygate error, even one created by another copy of this package. */
  static is(value) {
    return typeof value === "object" && value !== null && value[BRAND] === true;
  }
};
var InvalidTokenError = class extends AuthError {
  status = 401;
  oauthError = "invalid_token";
};
var TokenMalformedError = class extends InvalidTokenError {
  code = "ERR_TOKEN_MALFORMED";
};

// packages/core/src/verify/json.ts
function countMemberNames(text) {
  let count = 0;
  let i = 0;
  for (; ; ) {
    const open = text.indexOf('"', i);
    if (open < 0) return count;
    let close = open + 1;
    for (; ; ) {
      close = text.indexOf('"', close);
      if (close < 0) return -1;
      let backslashes = 0;
      while (text.charCodeAt(close - 1 - backslashes) === 92) backslashes++;
      if ((backslashes & 1) === 0) break;
      close++;
    }
    let j = close + 1;
    let c = text.charCodeAt(j);
    while (c === 32 || c === 9 || c === 10 || c === 13) c = text.charCodeAt(++j);
    if (c === 58) count++;
    i = j;
  }
}
var NOT_FINITE = -1;
function countParsedMembers(value) {
  if (typeof value === "number") return Number.isFinite(value) ? 0 : NOT_FINITE;
  if (typeof value !== "object" || value === null) return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) {
      const inner = countParsedMembers(item);
      if (inner === NOT_FINITE) return NOT_FINITE;
      count += inner;
    }
    return count;
  }
  const record = value;
  for (const name of Object.keys(record)) {
    const inner = countParsedMembers(record[name]);
    if (inner === NOT_FINITE) return NOT_FINITE;
    count += inner + 1;
  }
  return count;
}
function parseJSONObject(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    return void 0;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return void 0;
  const parsed = countParsedMembers(value);
  if (parsed === NOT_FINITE || parsed !== countMemberNames(text)) return void 0;
  return value;
}

// packages/core/src/verify/decode.ts
var UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
function malformed(what) {
  return new TokenMalformedError(`The token is not a valid compact JWS: ${what}`);
}
function decodeJSON(segment, decode2, what) {
  let text;
  try {
    text = UTF8.decode(decode2(segment));
  } catch {
    throw malformed(`the ${what} is not UTF-8`);
  }
  const value = parseJSONObject(text);
  if (value === void 0) throw malformed(`the ${what} is not a strict JSON object`);
  return value;
}
function decodeJWS(token2, maxBytes, decode2) {
  if (token2.length > maxBytes) throw malformed("it exceeds the size limit");
  const first = token2.indexOf(".");
  const second = first < 0 ? -1 : token2.indexOf(".", first + 1);
  if (second < 0 || token2.indexOf(".", second + 1) >= 0) throw malformed("it does not have three segments");
  const headerSegment = token2.slice(0, first);
  const payloadSegment = token2.slice(first + 1, second);
  const signatureSegment = token2.slice(second + 1);
  if (!isCanonicalBase64url(headerSegment) || !isCanonicalBase64url(payloadSegment) || !isCanonicalBase64url(signatureSegment)) {
    throw malformed("a segment is not canonical base64url");
  }
  if (signatureSegment.length === 0) throw malformed("the signature is empty");
  const header = decodeJSON(headerSegment, decode2, "header");
  if (typeof header.alg !== "string") throw malformed('the header has no string "alg"');
  const claims = decodeJSON(payloadSegment, decode2, "payload");
  return {
    header,
    claims,
    signingInput: token2.slice(0, second),
    signature: decode2(signatureSegment)
  };
}

// bench/.tmp/dec.ts
var now = Math.floor(Date.now() / 1e3);
var CLAIMS = { iss: "https://issuer.bench", aud: "https://api.bench", sub: "user-4f1c2a", iat: now, nbf: now, exp: now + 3600, jti: "b7e0c2d4-1a6f-4b0e-9d2a-6c8f1e3a5b7d", scope: "orders:read orders:write profile", client_id: "bench-client" };
var { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
var token = await new SignJWT(CLAIMS).setProtectedHeader({ alg: "RS256", kid: "k", typ: "JWT" }).sign(privateKey);
var decode = createBase64urlDecoder();
var sink;
function bench(name, fn, n = 2e5) {
  for (let i = 0; i < n / 10; i++) fn();
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) sink = fn();
    best = Math.min(best, (performance.now() - t) / n * 1e3);
  }
  console.log(name.padEnd(30), best.toFixed(3), "\xB5s");
}
var [h, p, s] = token.split(".");
var td = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
var ptext = JSON.stringify(CLAIMS);
bench("decodeJWS", () => decodeJWS(token, 8192, decode));
bench("canon x3", () => isCanonicalBase64url(h) && isCanonicalBase64url(p) && isCanonicalBase64url(s));
bench("one regex", () => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token));
bench("decode p", () => decode(p));
bench("decode s", () => decode(s));
bench("td p", () => td.decode(decode(p)));
bench("buf toString p", () => decode(p).toString());
bench("JSON.parse p", () => JSON.parse(ptext));
bench("parseJSONObject p", () => parseJSONObject(ptext));
bench("split", () => token.split("."));
console.log(token.length);
