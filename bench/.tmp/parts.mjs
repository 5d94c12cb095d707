// bench/.tmp/parts.ts
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
var InvalidRequestError = class extends AuthError {
  code = "ERR_INVALID_REQUEST";
  status = 400;
  oauthError = "invalid_request";
};
var TokenMissingError = class extends AuthError {
  code = "ERR_TOKEN_MISSING";
  status = 401;
  oauthError = void 0;
  constructor(message = "No bearer token was sent", options) {
    super(message, options);
  }
};
var InvalidTokenError = class extends AuthError {
  status = 401;
  oauthError = "invalid_token";
};
var TokenMalformedError = class extends InvalidTokenError {
  code = "ERR_TOKEN_MALFORMED";
};
var TokenExpiredError = class extends InvalidTokenError {
  code = "ERR_TOKEN_EXPIRED";
};
var TokenNotYetValidError = class extends InvalidTokenError {
  code = "ERR_TOKEN_NOT_YET_VALID";
};
var TokenTooOldError = class extends InvalidTokenError {
  code = "ERR_TOKEN_TOO_OLD";
};
var AlgorithmNotAllowedError = class extends InvalidTokenError {
  code = "ERR_ALGORITHM_NOT_ALLOWED";
};
var IssuerUntrustedError = class extends InvalidTokenError {
  code = "ERR_ISSUER_UNTRUSTED";
};
var AudienceInvalidError = class extends InvalidTokenError {
  code = "ERR_AUDIENCE_INVALID";
};
var TypeInvalidError = class extends InvalidTokenError {
  code = "ERR_TYPE_INVALID";
};
var ClaimInvalidError = class extends InvalidTokenError {
  constructor(message, claim2, options) {
    super(message, options);
    this.claim = claim2;
  }
  claim;
  code = "ERR_CLAIM_INVALID";
};
var KeyNotFoundError = class extends InvalidTokenError {
  code = "ERR_KEY_NOT_FOUND";
};
var SignatureInvalidError = class extends InvalidTokenError {
  code = "ERR_SIGNATURE_INVALID";
};
var UnavailableError = class extends AuthError {
  constructor(message, retryAfter, options) {
    super(message, options);
    this.retryAfter = retryAfter;
  }
  retryAfter;
  status = 503;
  oauthError = "temporarily_unavailable";
};
var KeysUnavailableError = class extends UnavailableError {
  code = "ERR_KEYS_UNAVAILABLE";
};
var ProviderUnavailableError = class extends UnavailableError {
  code = "ERR_PROVIDER_UNAVAILABLE";
};
var ConfigurationError = class extends AuthError {
  code = "ERR_CONFIGURATION";
  status = 500;
  oauthError = "server_error";
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

// packages/core/src/verify/claims.ts
function invalid(claim2, what) {
  return new ClaimInvalidError(`The "${claim2}" claim ${what}`, claim2);
}
function numericDate(claims, claim2) {
  const value = claims[claim2];
  if (value === void 0) return void 0;
  if (typeof value !== "number") throw invalid(claim2, "is not a NumericDate");
  return value;
}
function checkAudience(aud, audiences2) {
  if (typeof aud === "string") {
    if (audiences2.includes(aud)) return;
  } else if (Array.isArray(aud)) {
    for (const value of aud) {
      if (typeof value !== "string") break;
      if (audiences2.includes(value)) return;
    }
  }
  throw new AudienceInvalidError("The token is not meant for this audience");
}
function checkClaims(claims, policy2, now2) {
  const tolerance = policy2.toleranceMs;
  const exp = numericDate(claims, "exp");
  if (exp === void 0) {
    if (policy2.requireExp) throw invalid("exp", "is required");
  } else if (now2 >= exp * 1e3 + tolerance) {
    throw new TokenExpiredError("The token has expired");
  }
  const nbf = numericDate(claims, "nbf");
  if (nbf !== void 0 && nbf * 1e3 > now2 + tolerance)
    throw new TokenNotYetValidError("The token is not valid yet");
  const iat = numericDate(claims, "iat");
  if (iat !== void 0 && iat * 1e3 > now2 + tolerance) {
    throw new TokenNotYetValidError("The token was issued in the future");
  }
  if (policy2.maxAgeMs !== void 0) {
    if (iat === void 0) throw invalid("iat", "is required to enforce the maximum token age");
    if (now2 - iat * 1e3 > policy2.maxAgeMs + tolerance) throw new TokenTooOldError("The token is too old");
  }
  if (policy2.audiences !== void 0) {
    const aud = claims.aud === void 0 && policy2.audienceClaim !== void 0 ? claims[policy2.audienceClaim] : claims.aud;
    checkAudience(aud, policy2.audiences);
  }
  if (claims.sub !== void 0 && typeof claims.sub !== "string") throw invalid("sub", "is not a string");
  if (claims.jti !== void 0 && typeof claims.jti !== "string") throw invalid("jti", "is not a string");
  for (const name of policy2.requiredClaims) {
    if (claims[name] === void 0) throw invalid(name, "is required");
  }
}

// packages/core/src/authorize/claim-values.ts
function readClaim(claims, path) {
  let value = claims;
  for (const segment of path) {
    if (typeof value !== "object" || value === null || Array.isArray(value) || !Object.hasOwn(value, segment)) {
      return void 0;
    }
    value = value[segment];
  }
  return value;
}
function toStringList(value, delimiter) {
  if (typeof value === "string") {
    if (delimiter === void 0) return value === "" ? [] : [value];
    return value.split(delimiter).filter((part) => part !== "");
  }
  if (Array.isArray(value)) return value.filter((entry) => typeof entry === "string");
  return [];
}

// packages/core/src/authorize/provider-call.ts
var PROVIDER_RETRY_AFTER_S = 5;
function isPromiseLike(value) {
  return typeof value === "object" && value !== null && typeof value.then === "function";
}
function providerFailure(what, error) {
  if (AuthError.is(error)) return error;
  return new ProviderUnavailableError(`${what} failed`, PROVIDER_RETRY_AFTER_S, { cause: error });
}
function withTimeout(promise, ms, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new ProviderUnavailableError(`${what} timed out`, PROVIDER_RETRY_AFTER_S));
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      }
    );
  });
}
function toValues(result, what) {
  if (!Array.isArray(result)) {
    throw new ProviderUnavailableError(`${what} returned no list`, PROVIDER_RETRY_AFTER_S);
  }
  return result.every((entry) => typeof entry === "string") ? result : result.filter((entry) => typeof entry === "string");
}

// packages/core/src/authorize/claim-providers.ts
var SCOPE_DELIMITER = " ";
function named(name, provider) {
  Object.defineProperty(provider, "name", { value: name });
  return provider;
}
function checkName(value, what) {
  if (typeof value !== "string" || value === "")
    throw new ConfigurationError(`${what} must be a non-empty string`);
}
function scopeClaim() {
  return named(
    "scopeClaim",
    ({ claims }) => toStringList(claims.scope !== void 0 ? claims.scope : claims.scp, SCOPE_DELIMITER)
  );
}
function claim(name, options = {}) {
  checkName(name, "claim(name)");
  const path = [name];
  return named(`claim(${name})`, ({ claims }) => toStringList(readClaim(claims, path), options.delimiter));
}
function toProvider(spec) {
  if (typeof spec === "function") return spec;
  checkName(spec, "A provider given as a string");
  if (!spec.includes(".")) return claim(spec);
  const exact = [spec];
  const nested = spec.split(".");
  for (const segment of nested) checkName(segment, `Every segment of the claim path '${spec}'`);
  return named(
    `claim(${spec})`,
    ({ claims }) => toStringList(Object.hasOwn(claims, spec) ? readClaim(claims, exact) : readClaim(claims, nested))
  );
}

// packages/core/src/authorize/claims-schema.ts
function firstKey(issue) {
  const segment = issue.path?.[0];
  const key = typeof segment === "object" && segment !== null ? segment.key : segment;
  return key === void 0 ? "claims" : String(key);
}
function validateClaims(schema, claims) {
  if (typeof schema === "function") {
    if (schema(claims)) return claims;
    throw new ClaimInvalidError("The token claims do not have the expected shape", "claims");
  }
  const standard = schema?.["~standard"];
  if (typeof standard?.validate !== "function") {
    throw new ConfigurationError("claims must be a type guard or a Standard Schema v1 object");
  }
  const result = standard.validate(claims);
  if (isPromiseLike(result)) {
    result.then(void 0, () => {
    });
    throw new ConfigurationError(
      "The claims schema is asynchronous; claims schemas must validate synchronously"
    );
  }
  if (result.issues !== void 0) {
    const claim2 = result.issues[0] === void 0 ? "claims" : firstKey(result.issues[0]);
    throw new ClaimInvalidError(`The ${claim2} claim does not have the expected shape`, claim2, {
      cause: result.issues
    });
  }
  const value = result.value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigurationError("The claims schema must produce an object");
  }
  return { ...claims, ...value };
}

// packages/core/src/authorize/principal.ts
var PROVIDER_BACKSTOP_TIMEOUT_MS = 1e4;
var FIELDS = ["scopes", "permissions", "groups", "roles"];
var KNOWN_KEYS = /* @__PURE__ */ new Set([...FIELDS, "validate", "audienceClaim"]);
function defaults() {
  return {
    scopes: scopeClaim(),
    permissions: claim("permissions"),
    groups: claim("groups"),
    roles: claim("roles")
  };
}
function run(field, provider, input2) {
  const what = `The ${field} provider`;
  let result;
  try {
    result = provider(input2);
  } catch (error) {
    throw providerFailure(what, error);
  }
  if (!isPromiseLike(result)) return toValues(result, what);
  return withTimeout(result, PROVIDER_BACKSTOP_TIMEOUT_MS, what).then(
    (values) => toValues(values, what),
    (error) => {
      throw providerFailure(what, error);
    }
  );
}
function createPrincipalBuilder(providers = {}, options = {}) {
  if (typeof providers !== "object" || providers === null) {
    throw new ConfigurationError("providers must be an object");
  }
  for (const key of Object.keys(providers)) {
    if (!KNOWN_KEYS.has(key)) throw new ConfigurationError(`Unknown providers option '${key}'`);
  }
  const { validate, audienceClaim } = providers;
  if (validate !== void 0 && typeof validate !== "function") {
    throw new ConfigurationError("providers.validate must be a function");
  }
  if (audienceClaim !== void 0 && (typeof audienceClaim !== "string" || audienceClaim === "")) {
    throw new ConfigurationError("providers.audienceClaim must be a claim name");
  }
  const fallback = defaults();
  const resolved = FIELDS.map((field) => {
    const spec = providers[field];
    if (spec === void 0) return fallback[field];
    if (typeof spec !== "function" && typeof spec !== "string") {
      throw new ConfigurationError(`providers.${field} must be a function or a claim name`);
    }
    return toProvider(spec);
  });
  const schema = options.claims;
  if (schema !== void 0 && typeof schema !== "function" && typeof schema?.["~standard"]?.validate !== "function") {
    throw new ConfigurationError("claims must be a type guard or a Standard Schema v1 object");
  }
  return async function buildPrincipal({ claims, header, token: token2, issuer }) {
    if (validate !== void 0) {
      try {
        validate(claims, header);
      } catch (error) {
        throw AuthError.is(error) ? error : new ClaimInvalidError("The token failed the issuer check", "claims", { cause: error });
      }
    }
    const typed = schema === void 0 ? claims : validateClaims(schema, claims);
    const input2 = { claims: typed, header, token: token2, issuer };
    const pending = resolved.map((provider, i) => {
      try {
        return run(FIELDS[i], provider, input2);
      } catch (error) {
        return Promise.reject(error);
      }
    });
    const [scopes, permissions, groups, roles] = pending.some(isPromiseLike) ? await Promise.all(pending) : pending;
    return {
      subject: typeof claims.sub === "string" ? claims.sub : void 0,
      issuer,
      claims: typed,
      header,
      token: token2,
      scopes,
      permissions,
      groups,
      roles
    };
  };
}

// packages/core/src/http/bearer.ts
var B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
var BEARER = /^bearer(?:\s+(.*))?$/is;
function extractBearerToken(request2, options = {}) {
  const fromHeader = fromAuthorization(request2.headers.get("authorization"));
  const fromQuery = options.allowQuery ? fromUrl(request2.url) : void 0;
  if (fromHeader !== void 0 && fromQuery !== void 0) {
    throw new InvalidRequestError("The access token was sent by more than one method");
  }
  return fromHeader ?? fromQuery;
}
function fromAuthorization(value) {
  if (value === null) return void 0;
  const trimmed = value.trim();
  if (trimmed === "") return void 0;
  if (trimmed.includes(",")) throw new InvalidRequestError("More than one Authorization credential was sent");
  const match = BEARER.exec(trimmed);
  if (!match) return void 0;
  const token2 = match[1]?.trim() ?? "";
  if (token2 === "") throw new InvalidRequestError("The Bearer credential is empty");
  if (!B64TOKEN.test(token2)) throw new InvalidRequestError("The Bearer credential is not a single b64token");
  return token2;
}
function fromUrl(url) {
  if (!url) return void 0;
  let params;
  try {
    params = new URL(url, "http://localhost").searchParams;
  } catch {
    return void 0;
  }
  const all = params.getAll("access_token");
  if (all.length === 0) return void 0;
  if (all.length > 1) throw new InvalidRequestError("More than one access_token parameter was sent");
  const token2 = all[0];
  if (token2 === "" || !B64TOKEN.test(token2)) throw new InvalidRequestError("The access_token parameter is malformed");
  return token2;
}

// packages/core/src/duration.ts
var UNITS = {
  ms: 1,
  s: 1e3,
  sec: 1e3,
  m: 6e4,
  min: 6e4,
  h: 36e5,
  d: 864e5,
  w: 6048e5
};
var PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h|d|w)$/;
function toMs(value, option = "duration") {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) {
      throw new ConfigurationError(`${option} must be a non-negative finite number of milliseconds`);
    }
    return value;
  }
  const match = PATTERN.exec(value.trim());
  if (!match) throw new ConfigurationError(`${option} must be a number of ms or a string like '30s', '10m', '1d'`);
  return Number(match[1]) * UNITS[match[2]];
}

// packages/core/src/jwks/cache-control.ts
function freshnessFromCacheControl(header, bounds) {
  if (!header) return bounds.defaultMs;
  let maxAgeMs;
  for (const part of header.split(",")) {
    const [rawName = "", rawValue] = part.split("=", 2);
    const name = rawName.trim().toLowerCase();
    if (name === "no-cache" || name === "no-store") return bounds.minMs;
    if (name === "max-age" && rawValue !== void 0) {
      const value = rawValue.trim().replace(/^"(.*)"$/, "$1");
      if (/^\d+$/.test(value)) maxAgeMs = Number(value) * 1e3;
    }
  }
  if (maxAgeMs === void 0) return bounds.defaultMs;
  return Math.min(bounds.maxMs, Math.max(bounds.minMs, maxAgeMs));
}

// packages/core/src/jwks/http-get.ts
var FetchFailure = class extends Error {
  constructor(reason, message, status = 0, options) {
    super(message, options);
    this.reason = reason;
    this.status = status;
    this.name = "FetchFailure";
  }
  reason;
  status;
};
async function httpGet(url, options) {
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort();
  if (options.signal?.aborted) controller.abort();
  options.signal?.addEventListener("abort", onOuterAbort);
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new FetchFailure("timeout", `no answer within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    timer.unref?.();
  });
  try {
    return await Promise.race([request(url, options, controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onOuterAbort);
  }
}
async function request(url, options, signal) {
  let response;
  try {
    response = await options.fetch(url, {
      method: "GET",
      headers: { accept: "application/json, application/jwk-set+json", ...options.headers },
      signal
    });
  } catch (error) {
    throw new FetchFailure(signal.aborted ? "timeout" : "network", "request failed", 0, { cause: error });
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => {
    });
    return { status: response.status, headers: response.headers, text: "" };
  }
  const text = await readText(response, options.maxBodyBytes, signal);
  return { status: response.status, headers: response.headers, text };
}
async function readText(response, limit, signal) {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > limit) {
    await response.body?.cancel().catch(() => {
    });
    throw new FetchFailure("too_large", `body of ${declared} bytes exceeds ${limit}`, response.status);
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks = [];
  let total = 0;
  try {
    for (; ; ) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => {
        });
        throw new FetchFailure("too_large", `body exceeds ${limit} bytes`, response.status);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof FetchFailure) throw error;
    throw new FetchFailure(
      signal.aborted ? "timeout" : "network",
      "reading the body failed",
      response.status,
      {
        cause: error
      }
    );
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    throw new FetchFailure("encoding", "body is not UTF-8", response.status, { cause: error });
  }
}
function parseJSON(text, status) {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new FetchFailure("json", "body is not JSON", status, { cause: error });
  }
}

// packages/core/src/jwks/discovery.ts
var DEFAULT_DISCOVERY_MAX_BODY_BYTES = 512 * 1024;
var LOOPBACK_HOSTS = /* @__PURE__ */ new Set(["127.0.0.1", "localhost", "[::1]"]);
function openIDConfigurationUrl(issuer) {
  return `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
}
function authorizationServerMetadataUrl(issuer) {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/$/, "");
  return `${url.origin}/.well-known/oauth-authorization-server${path}`;
}
function checkJWKSUri(value) {
  if (typeof value !== "string") throw new FetchFailure("shape", 'metadata has no "jwks_uri" string');
  let url;
  try {
    url = new URL(value);
  } catch (error) {
    throw new FetchFailure("shape", 'metadata "jwks_uri" is not a URL', 0, { cause: error });
  }
  const secure = url.protocol === "https:" || url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname);
  if (!secure) throw new FetchFailure("shape", 'metadata "jwks_uri" must be https');
  return value;
}
async function fetchMetadata(url, issuer, options) {
  const response = await httpGet(url, options);
  if (response.status === 404) return void 0;
  if (response.status !== 200) {
    throw new FetchFailure("status", `metadata answered ${response.status}`, response.status);
  }
  const document = parseJSON(response.text, response.status);
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    throw new FetchFailure("shape", "metadata is not a JSON object", response.status);
  }
  const record = document;
  if (record.issuer !== issuer) {
    throw new FetchFailure(
      "issuer",
      'metadata "issuer" does not equal the configured issuer',
      response.status
    );
  }
  return checkJWKSUri(record.jwks_uri);
}
async function lookupJWKSUri(issuer, options) {
  const fromOpenID = await fetchMetadata(openIDConfigurationUrl(issuer), issuer, options);
  if (fromOpenID !== void 0) return fromOpenID;
  const fromRFC8414 = await fetchMetadata(authorizationServerMetadataUrl(issuer), issuer, options);
  if (fromRFC8414 !== void 0) return fromRFC8414;
  throw new FetchFailure("status", "no metadata document found", 404);
}
function checkIssuer(issuer) {
  let url;
  try {
    url = new URL(issuer);
  } catch (error) {
    throw new ConfigurationError("issuer must be an absolute URL for discovery", { cause: error });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigurationError("issuer must be an http(s) URL for discovery");
  }
}

// packages/core/src/jwks/match-key.ts
var RSA = { kty: "RSA" };
var KEY_TYPES = /* @__PURE__ */ new Map([
  ["RS256", RSA],
  ["RS384", RSA],
  ["RS512", RSA],
  ["PS256", RSA],
  ["PS384", RSA],
  ["PS512", RSA],
  ["ES256", { kty: "EC", crv: "P-256" }],
  ["ES384", { kty: "EC", crv: "P-384" }],
  ["ES512", { kty: "EC", crv: "P-521" }],
  ["EdDSA", { kty: "OKP", crv: "Ed25519" }],
  ["Ed25519", { kty: "OKP", crv: "Ed25519" }]
]);
function fitsAlgorithm(key, alg) {
  const wanted = KEY_TYPES.get(alg);
  if (!wanted || key.kty !== wanted.kty) return false;
  return wanted.crv === void 0 || key.crv === wanted.crv;
}
function sameAlgorithm(keyAlg, alg) {
  if (keyAlg === alg) return true;
  return (keyAlg === "EdDSA" || keyAlg === "Ed25519") && (alg === "EdDSA" || alg === "Ed25519");
}
function usableForVerify(key) {
  if (key.use !== void 0 && key.use !== "sig") return false;
  if (key.key_ops !== void 0 && !(Array.isArray(key.key_ops) && key.key_ops.includes("verify")))
    return false;
  return true;
}
function matchKey(keys, selector) {
  let match;
  for (const key of keys) {
    if (selector.kid !== void 0 && key.kid !== selector.kid) continue;
    if (!usableForVerify(key)) continue;
    if (key.alg !== void 0 && !sameAlgorithm(key.alg, selector.alg)) continue;
    if (!fitsAlgorithm(key, selector.alg)) continue;
    if (selector.kid !== void 0) return { ok: true, key };
    if (match) return { ok: false, reason: "ambiguous" };
    match = key;
  }
  return match ? { ok: true, key: match } : { ok: false, reason: "none" };
}

// packages/core/src/jwks/memory-store.ts
function createMemoryKeyStore(options = {}) {
  const clock = options.clock ?? Date.now;
  const entries = /* @__PURE__ */ new Map();
  const locks = /* @__PURE__ */ new Map();
  return {
    async get(key) {
      const entry = entries.get(key);
      if (!entry) return void 0;
      if (entry.expiresAt <= clock()) {
        entries.delete(key);
        return void 0;
      }
      return JSON.parse(entry.json);
    },
    async set(key, value, ttlMs) {
      entries.set(key, { json: JSON.stringify(value), expiresAt: clock() + Math.max(0, ttlMs) });
    },
    async delete(key) {
      entries.delete(key);
    },
    // Check-and-set in one synchronous step: JavaScript's run-to-completion makes it exclusive.
    async acquire(key, ttlMs) {
      const now2 = clock();
      const heldUntil = locks.get(key);
      if (heldUntil !== void 0 && heldUntil > now2) return false;
      locks.set(key, now2 + Math.max(0, ttlMs));
      return true;
    },
    async release(key) {
      locks.delete(key);
    }
  };
}

// packages/core/src/jwks/negative-cache.ts
function createNegativeCache(max) {
  const entries = /* @__PURE__ */ new Map();
  return {
    has(kid, now2) {
      const until = entries.get(kid);
      if (until === void 0) return false;
      if (until > now2) return true;
      entries.delete(kid);
      return false;
    },
    add(kid, until) {
      if (max <= 0) return;
      entries.delete(kid);
      while (entries.size >= max) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        entries.delete(oldest.value);
      }
      entries.set(kid, until);
    },
    clear() {
      entries.clear();
    },
    get size() {
      return entries.size;
    }
  };
}

// packages/core/src/jwks/parse-jwks.ts
function parseJWKS(value, status = 200) {
  if (!isObject(value) || !Array.isArray(value.keys)) {
    throw new FetchFailure("shape", 'not a JWK Set: no "keys" array', status);
  }
  const keys = [];
  for (const key of value.keys) {
    if (!isObject(key) || typeof key.kty !== "string") {
      throw new FetchFailure("shape", 'not a JWK Set: a key is not an object with "kty"', status);
    }
    keys.push(deepFreeze(structuredCopy(key)));
  }
  return Object.freeze({ keys: Object.freeze(keys) });
}
function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
function structuredCopy(value) {
  return JSON.parse(JSON.stringify(value));
}
function deepFreeze(value) {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

// packages/core/src/jwks/remote.ts
var DEFAULT_MAX_AGE_MS = 10 * 6e4;
var DEFAULT_REFRESH_AHEAD = 0.8;
var DEFAULT_COOLDOWN_MS = 3e4;
var DEFAULT_TIMEOUT_MS = 5e3;
var DEFAULT_MAX_STALE_MS = 60 * 6e4;
var DEFAULT_MIN_MAX_AGE_MS = 6e4;
var DEFAULT_MAX_MAX_AGE_MS = 24 * 60 * 6e4;
var DEFAULT_MAX_USES = 1e5;
var DEFAULT_MAX_UNKNOWN_KIDS = 1e3;
var DEFAULT_MAX_BODY_BYTES = 512 * 1024;
var DEFAULT_BACKOFF_MS = 1e3;
var DEFAULT_MAX_BACKOFF_MS = 5 * 6e4;
var LOCK_POLL_MS = 50;
var LOCK_BUSY_RETRY_MS = 1e3;
var LOCK_MARGIN_MS = 1e3;
var STRATEGIES = ["time", "usage", "both"];
function positiveInteger(value, option) {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new ConfigurationError(`${option} must be a positive integer`);
  return value;
}
function checkJWKSUri2(value) {
  let url;
  try {
    url = new URL(value);
  } catch (error) {
    throw new ConfigurationError("jwksUri must be an absolute URL", { cause: error });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigurationError("jwksUri must be an http(s) URL");
  }
  return value;
}
function sleep(ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref?.();
  });
}
function createRemoteJWKS(options) {
  const configuredUri = typeof options.jwksUri === "string" ? checkJWKSUri2(options.jwksUri) : void 0;
  const issuer = options.issuer;
  if (configuredUri === void 0) {
    if (typeof issuer !== "string")
      throw new ConfigurationError("createRemoteJWKS needs a jwksUri or an issuer");
    checkIssuer(issuer);
  }
  const strategy = options.strategy ?? "time";
  if (!STRATEGIES.includes(strategy))
    throw new ConfigurationError("jwks.strategy must be time, usage or both");
  const maxAgeMs = toMs(options.maxAge ?? DEFAULT_MAX_AGE_MS, "jwks.maxAge");
  const maxUses = positiveInteger(options.maxUses ?? DEFAULT_MAX_USES, "jwks.maxUses");
  const refreshAhead = options.refreshAhead ?? DEFAULT_REFRESH_AHEAD;
  if (!(refreshAhead > 0 && refreshAhead <= 1))
    throw new ConfigurationError("jwks.refreshAhead must be in (0, 1]");
  const cooldownMs = toMs(options.cooldown ?? DEFAULT_COOLDOWN_MS, "jwks.cooldown");
  const maxUnknownKids = options.maxUnknownKids ?? DEFAULT_MAX_UNKNOWN_KIDS;
  if (!Number.isSafeInteger(maxUnknownKids) || maxUnknownKids < 0) {
    throw new ConfigurationError("jwks.maxUnknownKids must be a non-negative integer");
  }
  const maxStaleMs = toMs(options.maxStale ?? DEFAULT_MAX_STALE_MS, "jwks.maxStale");
  const minMaxAgeMs = toMs(options.minMaxAge ?? DEFAULT_MIN_MAX_AGE_MS, "jwks.minMaxAge");
  const maxMaxAgeMs = toMs(options.maxMaxAge ?? DEFAULT_MAX_MAX_AGE_MS, "jwks.maxMaxAge");
  if (minMaxAgeMs > maxMaxAgeMs) throw new ConfigurationError("jwks.minMaxAge must not exceed jwks.maxMaxAge");
  const timeoutMs = toMs(options.timeout ?? DEFAULT_TIMEOUT_MS, "jwks.timeout");
  if (timeoutMs <= 0) throw new ConfigurationError("jwks.timeout must be positive");
  const maxBodyBytes = positiveInteger(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, "jwks.maxBodyBytes");
  const backoffMs = toMs(options.backoff ?? DEFAULT_BACKOFF_MS, "jwks.backoff");
  const maxBackoffMs = toMs(options.maxBackoff ?? DEFAULT_MAX_BACKOFF_MS, "jwks.maxBackoff");
  const clock = options.clock ?? Date.now;
  const fetchImpl = options.fetch ?? ((input2, init) => globalThis.fetch(input2, init));
  const store = options.store ?? createMemoryKeyStore({ clock });
  const onEvent = options.onEvent;
  const byTime = strategy !== "usage";
  const byUse = strategy !== "time";
  const storeKey = configuredUri !== void 0 ? `keygate:jwks:${configuredUri}` : `keygate:jwks:issuer:${issuer}`;
  const lockKey = `${storeKey}:lock`;
  const lockTtlMs = 3 * timeoutMs + LOCK_MARGIN_MS;
  const bounds = { defaultMs: maxAgeMs, minMs: minMaxAgeMs, maxMs: maxMaxAgeMs };
  let jwksUri = configuredUri;
  let current;
  let inflight;
  let failures = 0;
  let nextAttemptAt = Number.NEGATIVE_INFINITY;
  let busyUntil = Number.NEGATIVE_INFINITY;
  let lastKidFetchAt = Number.NEGATIVE_INFINITY;
  let lastError;
  let closed = false;
  const closer = new AbortController();
  const negative = createNegativeCache(maxUnknownKids);
  const label = () => jwksUri ?? issuer ?? "";
  function emit(event) {
    if (!onEvent) return;
    try {
      onEvent(event);
    } catch {
    }
  }
  function phaseOf(snap, now2) {
    let expiredAt = Number.POSITIVE_INFINITY;
    if (byTime && now2 >= snap.stored.expiresAt) expiredAt = snap.stored.expiresAt;
    if (byUse && snap.uses >= maxUses) {
      snap.exhaustedAt ??= now2;
      expiredAt = Math.min(expiredAt, snap.exhaustedAt);
    }
    if (expiredAt !== Number.POSITIVE_INFINITY) return now2 - expiredAt <= maxStaleMs ? "stale" : "dead";
    const { fetchedAt, expiresAt } = snap.stored;
    if (byTime && now2 >= fetchedAt + (expiresAt - fetchedAt) * refreshAhead) return "ahead";
    if (byUse && snap.uses >= maxUses * refreshAhead) return "ahead";
    return "fresh";
  }
  function countUse(snap, now2) {
    snap.uses += 1;
    if (byUse && snap.uses >= maxUses) snap.exhaustedAt ??= now2;
  }
  function unavailable() {
    const retryAfter = Math.max(1, Math.ceil((nextAttemptAt - clock()) / 1e3));
    return new KeysUnavailableError("The issuer's signing keys cannot be fetched", retryAfter, {
      cause: lastError
    });
  }
  function adopt(stored) {
    let keys;
    try {
      keys = parseJWKS(stored.jwks).keys;
    } catch {
      return false;
    }
    const previous = current;
    const known = new Map(previous?.keys.map((key) => [JSON.stringify(key), key]));
    const merged = Object.freeze(keys.map((key) => known.get(JSON.stringify(key)) ?? key));
    const changed = !previous || merged.length !== previous.keys.length || merged.some((key, i) => key !== previous.keys[i]);
    if (changed) negative.clear();
    const jwks = Object.freeze({ keys: merged });
    current = { stored: { ...stored, jwks }, keys: merged, uses: stored.uses ?? 0, exhaustedAt: void 0 };
    return true;
  }
  function recordFailure(error) {
    failures += 1;
    lastError = error;
    nextAttemptAt = clock() + Math.min(backoffMs * 2 ** (failures - 1), maxBackoffMs);
    emit({ type: "fetch_error", uri: label(), error, attempt: failures, nextAttemptAt });
  }
  async function resolveUri() {
    if (jwksUri !== void 0) return jwksUri;
    jwksUri = await lookupJWKSUri(issuer, {
      fetch: fetchImpl,
      timeoutMs,
      maxBodyBytes,
      signal: closer.signal
    });
    return jwksUri;
  }
  async function fetchUpstream() {
    const uri = await resolveUri();
    const started = clock();
    const etag = current?.stored.etag;
    const response = await httpGet(uri, {
      fetch: fetchImpl,
      timeoutMs,
      maxBodyBytes,
      headers: etag ? { "if-none-match": etag } : {},
      signal: closer.signal
    });
    const now2 = clock();
    const lifetime = freshnessFromCacheControl(response.headers.get("cache-control"), bounds);
    const notModified = response.status === 304 && current !== void 0 && etag !== void 0;
    if (notModified && current) {
      current.stored = { ...current.stored, fetchedAt: now2, expiresAt: now2 + lifetime, uses: 0 };
      current.uses = 0;
      current.exhaustedAt = void 0;
    } else if (response.status === 200) {
      const jwks = parseJWKS(parseJSON(response.text, response.status));
      const newEtag = response.headers.get("etag");
      const stored = { jwks, fetchedAt: now2, expiresAt: now2 + lifetime, uses: 0 };
      if (newEtag) stored.etag = newEtag;
      adopt(stored);
    } else {
      throw new FetchFailure("status", `JWKS endpoint answered ${response.status}`, response.status);
    }
    failures = 0;
    nextAttemptAt = Number.NEGATIVE_INFINITY;
    lastError = void 0;
    emit({ type: "fetch", uri, status: response.status, durationMs: now2 - started, notModified });
    const latest = current?.stored;
    if (latest) await store.set(storeKey, latest, lifetime + maxStaleMs).catch(() => {
    });
  }
  async function adoptShared(reason) {
    const shared = await store.get(storeKey).catch(() => void 0);
    if (!shared) return false;
    if (current && !(shared.fetchedAt > current.stored.fetchedAt)) return false;
    if (!adopt(shared) || !current) return false;
    const now2 = clock();
    if (reason === "kid_miss") return now2 - current.stored.fetchedAt < cooldownMs;
    const phase = phaseOf(current, now2);
    return phase === "fresh" || reason === "initial" && phase !== "dead";
  }
  async function waitForShared() {
    const before = current?.stored.fetchedAt ?? Number.NEGATIVE_INFINITY;
    for (let waited = 0; waited < lockTtlMs && !closed; waited += LOCK_POLL_MS) {
      await sleep(LOCK_POLL_MS);
      const shared = await store.get(storeKey).catch(() => void 0);
      if (shared && shared.fetchedAt > before && adopt(shared)) return true;
    }
    return false;
  }
  async function runRefresh(reason) {
    try {
      if (reason !== "manual" && await adoptShared(reason)) return "ok";
      let lock = "none";
      if (store.acquire) {
        lock = await store.acquire(lockKey, lockTtlMs).then(
          (got) => got ? "held" : "busy",
          () => "none"
        );
      }
      if (lock === "busy") {
        const background = reason === "ahead" || reason === "expired" || reason === "usage";
        if (background && current && phaseOf(current, clock()) !== "dead") {
          busyUntil = clock() + LOCK_BUSY_RETRY_MS;
          return "busy";
        }
        if (await waitForShared()) return "ok";
      }
      try {
        await fetchUpstream();
        return "ok";
      } finally {
        if (lock === "held") await store.release?.(lockKey).catch(() => {
        });
      }
    } catch (error) {
      recordFailure(error);
      return "failed";
    }
  }
  function refresh(reason) {
    if (inflight) return inflight;
    emit({ type: "refresh", uri: label(), reason });
    const run2 = runRefresh(reason).finally(() => {
      if (inflight === run2) inflight = void 0;
    });
    inflight = run2;
    return run2;
  }
  function refreshInBackground(reason, now2) {
    if (closed || inflight || now2 < nextAttemptAt || now2 < busyUntil) return;
    void refresh(reason);
  }
  function notFound(ambiguous = false) {
    return new KeyNotFoundError(
      ambiguous ? 'Several keys of the issuer fit a token without "kid"' : 'No key of the issuer matches the token "kid" and "alg"'
    );
  }
  async function resolveKey(selector) {
    if (!current) {
      if (clock() < nextAttemptAt) throw unavailable();
      await refresh("initial");
      if (!current) throw unavailable();
    }
    let snap = current;
    let now2 = clock();
    const phase = phaseOf(snap, now2);
    if (phase === "dead") {
      if (now2 < nextAttemptAt) throw unavailable();
      await refresh(byTime && now2 >= snap.stored.expiresAt ? "expired" : "usage");
      snap = current;
      now2 = clock();
      if (phaseOf(snap, now2) === "dead") throw unavailable();
    } else if (phase === "stale") {
      emit({ type: "stale_served", uri: label(), ageMs: now2 - snap.stored.fetchedAt });
      refreshInBackground(byTime && now2 >= snap.stored.expiresAt ? "expired" : "usage", now2);
    } else if (phase === "ahead") {
      refreshInBackground("ahead", now2);
    }
    const found = matchKey(snap.keys, selector);
    if (found.ok) {
      countUse(snap, now2);
      return found.key;
    }
    if (found.reason === "ambiguous") throw notFound(true);
    const missKey = selector.kid ?? `\0no-kid:${selector.alg}`;
    emit({ type: "kid_miss", uri: label(), kid: selector.kid });
    if (negative.has(missKey, now2)) {
      emit({ type: "cooldown_hit", uri: label(), kid: selector.kid });
      throw notFound();
    }
    const mayFetch = !closed && now2 - lastKidFetchAt >= cooldownMs && now2 - snap.stored.fetchedAt >= cooldownMs && now2 >= nextAttemptAt;
    if (!mayFetch && !inflight) {
      negative.add(missKey, now2 + cooldownMs);
      emit({ type: "cooldown_hit", uri: label(), kid: selector.kid });
      throw notFound();
    }
    if (mayFetch) lastKidFetchAt = now2;
    const outcome = await refresh("kid_miss");
    snap = current;
    now2 = clock();
    const retry = matchKey(snap.keys, selector);
    if (retry.ok) {
      countUse(snap, now2);
      return retry.key;
    }
    if (outcome === "failed") throw unavailable();
    if (retry.reason === "ambiguous") throw notFound(true);
    negative.add(missKey, now2 + cooldownMs);
    throw notFound();
  }
  return {
    getKey(selector) {
      const snap = current;
      if (snap) {
        const now2 = clock();
        const phase = phaseOf(snap, now2);
        if (phase === "fresh" || phase === "ahead") {
          const found = matchKey(snap.keys, selector);
          if (found.ok) {
            countUse(snap, now2);
            if (phase === "ahead") refreshInBackground("ahead", now2);
            return Promise.resolve(found.key);
          }
        }
      }
      return resolveKey(selector);
    },
    peek() {
      return current?.keys;
    },
    async reload() {
      const outcome = await refresh("manual");
      if (outcome === "failed") throw unavailable();
    },
    close() {
      if (closed) return;
      closed = true;
      closer.abort();
    },
    async idle() {
      while (inflight) await inflight;
    },
    get jwksUri() {
      return jwksUri;
    },
    get unknownKids() {
      return negative.size;
    }
  };
}

// packages/core/src/verify/header.ts
function normalizeTyp(typ) {
  const lower = typ.toLowerCase();
  return lower.startsWith("application/") ? lower.slice(12) : lower;
}
function rejectUnsigned(header) {
  if (header.alg.toLowerCase() === "none")
    throw new AlgorithmNotAllowedError('Unsigned tokens (alg "none") are never accepted');
}
function checkHeader(header, policy2) {
  if (!policy2.algorithms.has(header.alg)) {
    throw new AlgorithmNotAllowedError("The token algorithm is not allowed for this issuer");
  }
  if (header.crit !== void 0) throw new TokenMalformedError("The token uses a critical header extension");
  if (header.b64 !== void 0) throw new TokenMalformedError("Unencoded payloads (b64) are not supported");
  if (header.kid !== void 0 && typeof header.kid !== "string") {
    throw new TokenMalformedError('The token "kid" header is not a string');
  }
  if (policy2.typ !== void 0) {
    if (typeof header.typ !== "string" || normalizeTyp(header.typ) !== policy2.typ) {
      throw new TypeInvalidError('The token "typ" header is not the required type');
    }
  } else if (header.typ !== void 0 && typeof header.typ !== "string") {
    throw new TokenMalformedError('The token "typ" header is not a string');
  }
}

// packages/core/src/verify/map-error.ts
var DEFAULT_RETRY_AFTER_SECONDS = 30;
var JOSE_KEY_NOT_FOUND = /* @__PURE__ */ new Set(["ERR_JWKS_NO_MATCHING_KEY", "ERR_JWKS_MULTIPLE_MATCHING_KEYS"]);
function codeOf(error) {
  return typeof error === "object" && error !== null ? error.code : void 0;
}
function toAuthError(error, phase) {
  if (AuthError.is(error)) return error;
  const code = codeOf(error);
  if (phase === "source") {
    if (typeof code === "string" && JOSE_KEY_NOT_FOUND.has(code)) {
      return new KeyNotFoundError("No key of the issuer matches the token", { cause: error });
    }
    return new KeysUnavailableError("The issuer keys cannot be obtained", DEFAULT_RETRY_AFTER_SECONDS, {
      cause: error
    });
  }
  if (phase === "import")
    return new KeyNotFoundError("The issuer key cannot verify this algorithm", { cause: error });
  return new SignatureInvalidError("The token signature cannot be verified", { cause: error });
}

// packages/core/src/jwks/static.ts
function isObject2(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
var OPTIONAL_STRINGS = ["kid", "alg", "use", "crv", "n", "e", "x", "y", "k"];
function checkKey(value, index) {
  if (!isObject2(value) || typeof value.kty !== "string" || value.kty === "") {
    throw new ConfigurationError(`keys[${index}] is not a JWK (an object with a string "kty")`);
  }
  for (const name of OPTIONAL_STRINGS) {
    if (value[name] !== void 0 && typeof value[name] !== "string") {
      throw new ConfigurationError(`keys[${index}].${name} must be a string`);
    }
  }
  const ops = value.key_ops;
  if (ops !== void 0 && !(Array.isArray(ops) && ops.every((op) => typeof op === "string"))) {
    throw new ConfigurationError(`keys[${index}].key_ops must be an array of strings`);
  }
  if (value.d !== void 0 || value.kty === "oct") {
    throw new ConfigurationError(
      `keys[${index}] is a private or symmetric key; only public keys are accepted`
    );
  }
  return Object.freeze({ ...value });
}
function createStaticJWKS(keys) {
  if (!isObject2(keys)) throw new ConfigurationError("keys must be a JWKS ({ keys: [...] }) or a JWK");
  let list;
  if (Array.isArray(keys.keys)) list = keys.keys;
  else if (typeof keys.kty === "string") list = [keys];
  else throw new ConfigurationError("keys must be a JWKS ({ keys: [...] }) or a JWK");
  if (list.length === 0) throw new ConfigurationError("keys must hold at least one key");
  const held = Object.freeze(list.map(checkKey));
  return {
    async getKey(selector) {
      const match = matchKey(held, selector);
      if (!match.ok) throw new KeyNotFoundError("No key in the configured key set matches the token");
      return match.key;
    },
    peek: () => held,
    reload: async () => {
    },
    close: () => {
    }
  };
}

// packages/core/src/verify/signature-node.ts
var MIN_RSA_BITS = 2048;
var SIGNATURE_BYTES = {
  ES256: 64,
  ES384: 96,
  ES512: 132,
  EdDSA: 64,
  Ed25519: 64
};
function createNodeBackend(crypto2, buffer) {
  const cache = /* @__PURE__ */ new WeakMap();
  function build2(jwk2, alg) {
    if (!matchKey([jwk2], { alg }).ok) throw new TypeError("key type does not fit the algorithm");
    const key = crypto2.createPublicKey({ key: jwk2, format: "jwk" });
    const bits = hashBits(alg);
    if (alg.startsWith("RS") || alg.startsWith("PS")) {
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS)
        throw new TypeError("RSA key too small");
      const hash = `sha${bits}`;
      const verifyKey = alg.startsWith("PS") ? (
        // RFC 7518 §3.5: the salt is as long as the hash output.
        { key, padding: crypto2.constants.RSA_PKCS1_PSS_PADDING, saltLength: bits / 8 }
      ) : key;
      return (input2, signature) => crypto2.verify(hash, buffer.from(input2, "latin1"), verifyKey, signature);
    }
    const size = SIGNATURE_BYTES[alg];
    if (alg.startsWith("ES")) {
      const hash = `sha${bits}`;
      const verifyKey = { key, dsaEncoding: "ieee-p1363" };
      return (input2, signature) => signature.length === size && crypto2.verify(hash, buffer.from(input2, "latin1"), verifyKey, signature);
    }
    return (input2, signature) => signature.length === size && crypto2.verify(null, buffer.from(input2, "latin1"), key, signature);
  }
  function guarded(check) {
    return (input2, signature) => {
      try {
        return check(input2, signature);
      } catch (error) {
        throw toAuthError(error, "verify");
      }
    };
  }
  return {
    name: "node",
    forKey(jwk2, alg) {
      let byAlg = cache.get(jwk2);
      const hit = byAlg?.get(alg);
      if (hit !== void 0) return hit;
      let check;
      try {
        check = guarded(build2(jwk2, alg));
      } catch (error) {
        const failure = toAuthError(error, "import");
        check = () => {
          throw failure;
        };
      }
      if (byAlg === void 0) cache.set(jwk2, byAlg = /* @__PURE__ */ new Map());
      byAlg.set(alg, check);
      return check;
    },
    forSecret(secret, alg) {
      const key = crypto2.createSecretKey(secret);
      const hash = `sha${hashBits(alg)}`;
      return guarded((input2, signature) => {
        const mac = crypto2.createHmac(hash, key).update(buffer.from(input2, "latin1")).digest();
        return mac.length === signature.length && crypto2.timingSafeEqual(mac, signature);
      });
    }
  };
}

// packages/core/src/verify/signature-web.ts
var MIN_RSA_BITS2 = 2048;
var SIGNATURE_BYTES2 = {
  ES256: 64,
  ES384: 96,
  ES512: 132,
  EdDSA: 64,
  Ed25519: 64
};
var CURVES = { ES256: "P-256", ES384: "P-384", ES512: "P-521" };
function webAlgorithm(alg) {
  const hash = `SHA-${hashBits(alg)}`;
  if (alg.startsWith("RS")) {
    return { importParams: { name: "RSASSA-PKCS1-v1_5", hash }, verifyParams: { name: "RSASSA-PKCS1-v1_5" } };
  }
  if (alg.startsWith("PS")) {
    const saltLength = hashBits(alg) / 8;
    return { importParams: { name: "RSA-PSS", hash }, verifyParams: { name: "RSA-PSS", saltLength } };
  }
  if (alg.startsWith("ES")) {
    return {
      importParams: { name: "ECDSA", namedCurve: CURVES[alg] },
      verifyParams: { name: "ECDSA", hash }
    };
  }
  if (alg.startsWith("HS")) return { importParams: { name: "HMAC", hash }, verifyParams: { name: "HMAC" } };
  return { importParams: { name: "Ed25519" }, verifyParams: { name: "Ed25519" } };
}
function publicMaterial(jwk2) {
  const { kty, crv, n, e, x, y } = jwk2;
  return { kty, crv, n, e, x, y };
}
var ENCODER = new TextEncoder();
function createWebBackend(subtle) {
  const cache = /* @__PURE__ */ new WeakMap();
  function checkWith(imported, alg) {
    const { verifyParams } = webAlgorithm(alg);
    const size = SIGNATURE_BYTES2[alg];
    const ready = imported.then(
      (key) => ({ key, error: void 0 }),
      (error) => ({ key: void 0, error: toAuthError(error, "import") })
    );
    return async (input2, signature) => {
      const { key, error } = await ready;
      if (key === void 0) throw error;
      if (size !== void 0 && signature.length !== size) return false;
      try {
        return await subtle.verify(verifyParams, key, signature, ENCODER.encode(input2));
      } catch (cause) {
        throw toAuthError(cause, "verify");
      }
    };
  }
  async function importPublic(jwk2, alg) {
    if (!matchKey([jwk2], { alg }).ok) throw new TypeError("key type does not fit the algorithm");
    const key = await subtle.importKey("jwk", publicMaterial(jwk2), webAlgorithm(alg).importParams, false, [
      "verify"
    ]);
    const modulus = key.algorithm.modulusLength;
    if (modulus !== void 0 && modulus < MIN_RSA_BITS2) throw new TypeError("RSA key too small");
    return key;
  }
  return {
    name: "webcrypto",
    forKey(jwk2, alg) {
      let byAlg = cache.get(jwk2);
      const hit = byAlg?.get(alg);
      if (hit !== void 0) return hit;
      const check = checkWith(importPublic(jwk2, alg), alg);
      if (byAlg === void 0) cache.set(jwk2, byAlg = /* @__PURE__ */ new Map());
      byAlg.set(alg, check);
      return check;
    },
    forSecret(secret, alg) {
      const imported = subtle.importKey("raw", secret, webAlgorithm(alg).importParams, false, ["verify"]);
      return checkWith(imported, alg);
    }
  };
}

// packages/core/src/verify/signature.ts
function hashBits(alg) {
  return Number(alg.slice(2));
}
function createSignatureBackend() {
  const nodeCrypto = getBuiltin("node:crypto");
  const buffer = getBuiltin("node:buffer")?.Buffer;
  if (nodeCrypto && typeof nodeCrypto.verify === "function" && buffer)
    return createNodeBackend(nodeCrypto, buffer);
  const subtle = globalThis.crypto?.subtle;
  if (subtle) return createWebBackend(subtle);
  throw new ConfigurationError("This runtime has neither node:crypto nor WebCrypto (crypto.subtle)");
}

// packages/core/src/verify/resolve-options.ts
var DEFAULT_ALGORITHMS = ["RS256", "ES256", "EdDSA"];
var DEFAULT_CLOCK_TOLERANCE_MS = 6e4;
var DEFAULT_MAX_TOKEN_BYTES = 8 * 1024;
var ASYMMETRIC = /* @__PURE__ */ new Set([
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519"
]);
var HMAC = /* @__PURE__ */ new Set(["HS256", "HS384", "HS512"]);
var DEFAULT_TOKEN_CACHE_MAX = 1e4;
var SHORTHAND_ONLY = ["jwksUri", "keys", "secret", "source"];
function fail(message) {
  throw new ConfigurationError(message);
}
function isPositiveInteger(value) {
  return typeof value === "number" && Number.isInteger(value) && value > 0;
}
function isURL(value) {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}
function audiences(config, where) {
  const { audience } = config;
  if (audience === false) return void 0;
  if (audience === void 0)
    fail(`${where}: audience is required (set audience: false to accept any, on purpose)`);
  const list = typeof audience === "string" ? [audience] : audience;
  if (!Array.isArray(list) || list.length === 0 || !list.every((a) => typeof a === "string" && a !== "")) {
    fail(`${where}: audience must be a non-empty string or a non-empty array of them`);
  }
  return Object.freeze([...list]);
}
function algorithms(config, fallback, where) {
  const list = config.algorithms ?? fallback ?? DEFAULT_ALGORITHMS;
  if (!Array.isArray(list) || list.length === 0) fail(`${where}: algorithms must be a non-empty array`);
  for (const alg of list) {
    if (!ASYMMETRIC.has(alg) && !HMAC.has(alg)) fail(`${where}: unsupported algorithm '${String(alg)}'`);
  }
  return new Set(list);
}
function secretBytes(secret, where) {
  if (secret === void 0) return void 0;
  if (typeof secret === "string") return new TextEncoder().encode(secret);
  if (secret instanceof Uint8Array) return secret.slice();
  return fail(`${where}: secret must be a string or a Uint8Array`);
}
function sourceOf(config, jwks, remote, where) {
  const given = [config.keys, config.jwksUri, config.source].filter((v) => v !== void 0).length;
  if (given > 1) fail(`${where}: set only one of keys, jwksUri and source`);
  if (config.source !== void 0) {
    const s = config.source;
    if (typeof s.getKey !== "function" || typeof s.peek !== "function")
      fail(`${where}: source must be a JWKSSource`);
    return { source: config.source, owns: false };
  }
  if (config.keys !== void 0) return { source: createStaticJWKS(config.keys), owns: true };
  if (config.jwksUri !== void 0) {
    if (typeof config.jwksUri !== "string" || !isURL(config.jwksUri)) fail(`${where}: jwksUri must be a URL`);
    return { source: remote({ ...jwks, jwksUri: config.jwksUri }), owns: true };
  }
  return { source: remote({ ...jwks, issuer: config.issuer }), owns: true };
}
function resolveIssuer(config, top, backend, remote, where) {
  if (typeof config.issuer !== "string" || config.issuer === "")
    fail(`${where}: issuer must be a non-empty string`);
  const algs = algorithms(config, top.algorithms, where);
  const hmacAlgs = [...algs].filter((a) => HMAC.has(a));
  const asymmetric = [...algs].some((a) => ASYMMETRIC.has(a));
  const secret = secretBytes(config.secret, where);
  if (hmacAlgs.length > 0 && secret === void 0) fail(`${where}: HS* algorithms need a secret`);
  if (secret !== void 0 && hmacAlgs.length === 0)
    fail(`${where}: a secret needs an HS* algorithm in algorithms`);
  const secretChecks = /* @__PURE__ */ new Map();
  for (const alg of hmacAlgs) {
    if (secret.length < hashBits(alg) / 8) fail(`${where}: the secret is too short for ${alg}`);
    secretChecks.set(alg, backend.forSecret(secret, alg));
  }
  let source;
  let ownsSource = false;
  if (asymmetric) {
    if (secret !== void 0 && config.keys === void 0 && config.jwksUri === void 0 && !config.source) {
      fail(`${where}: asymmetric algorithms next to a secret need keys, jwksUri or source`);
    }
    const jwks = { ...top.jwks, ...config.jwks };
    if (jwks.fetch === void 0 && top.fetch !== void 0) jwks.fetch = top.fetch;
    if (jwks.clock === void 0 && top.clock !== void 0) jwks.clock = top.clock;
    const resolved = sourceOf(config, jwks, remote, where);
    source = resolved.source;
    ownsSource = resolved.owns;
  } else if (config.keys !== void 0 || config.jwksUri !== void 0 || config.source !== void 0) {
    fail(`${where}: keys, jwksUri and source need an asymmetric algorithm in algorithms`);
  }
  const typ = config.typ ?? top.typ;
  if (typ !== void 0 && (typeof typ !== "string" || typ === ""))
    fail(`${where}: typ must be a non-empty string`);
  const requireExp = config.requireExp ?? top.requireExp ?? true;
  if (typeof requireExp !== "boolean") fail(`${where}: requireExp must be a boolean`);
  const required = config.requiredClaims ?? top.requiredClaims ?? [];
  if (!Array.isArray(required) || !required.every((c) => typeof c === "string" && c !== "")) {
    fail(`${where}: requiredClaims must be an array of claim names`);
  }
  const tolerance = config.clockTolerance ?? top.clockTolerance;
  const maxAge = config.maxTokenAge ?? top.maxTokenAge;
  const providers = config.providers ?? top.providers ?? {};
  return {
    issuer: config.issuer,
    header: { algorithms: algs, typ: typ === void 0 ? void 0 : normalizeTyp(typ) },
    claims: {
      audiences: audiences(config, where),
      audienceClaim: providers.audienceClaim,
      toleranceMs: tolerance === void 0 ? DEFAULT_CLOCK_TOLERANCE_MS : toMs(tolerance, `${where}: clockTolerance`),
      maxAgeMs: maxAge === void 0 ? void 0 : toMs(maxAge, `${where}: maxTokenAge`),
      requireExp,
      requiredClaims: Object.freeze([...required])
    },
    source,
    ownsSource,
    secretChecks,
    buildPrincipal: createPrincipalBuilder(providers, { claims: top.claims })
  };
}
function resolveOptions(options, backend, remote) {
  if (typeof options !== "object" || options === null) fail("createAuth needs an options object");
  let configs;
  if (options.issuers !== void 0) {
    if (options.issuer !== void 0 || options.audience !== void 0) {
      fail("Use either issuers or the issuer/audience shorthand, not both");
    }
    for (const name of SHORTHAND_ONLY) {
      if (options[name] !== void 0) fail(`${name} belongs on an issuer when issuers is used`);
    }
    if (!Array.isArray(options.issuers) || options.issuers.length === 0)
      fail("issuers must be a non-empty array");
    configs = options.issuers;
  } else {
    if (options.issuer === void 0) fail("No issuer configured: set issuer (and audience) or issuers");
    configs = [{ ...options, issuer: options.issuer, audience: options.audience }];
  }
  if (options.clock !== void 0 && typeof options.clock !== "function") fail("clock must be a function");
  if (options.fetch !== void 0 && typeof options.fetch !== "function") fail("fetch must be a function");
  const maxTokenBytes = options.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES;
  if (!isPositiveInteger(maxTokenBytes)) fail("maxTokenBytes must be a positive integer");
  let tokenCache;
  if (options.tokenCache !== void 0 && options.tokenCache !== false) {
    const { max = DEFAULT_TOKEN_CACHE_MAX, ttl } = options.tokenCache;
    if (!isPositiveInteger(max)) fail("tokenCache.max must be a positive integer");
    tokenCache = { max, ttlMs: ttl === void 0 ? void 0 : toMs(ttl, "tokenCache.ttl") };
  }
  const issuers = /* @__PURE__ */ new Map();
  const created = [];
  try {
    configs.forEach((config, index) => {
      const where = options.issuers === void 0 ? "createAuth" : `issuers[${index}]`;
      if (typeof config !== "object" || config === null) fail(`${where} must be an object`);
      const resolved = resolveIssuer(config, options, backend, remote, where);
      created.push(resolved);
      if (issuers.has(resolved.issuer)) fail(`${where}: issuer '${resolved.issuer}' is configured twice`);
      issuers.set(resolved.issuer, resolved);
    });
  } catch (error) {
    for (const issuer of created) if (issuer.ownsSource) issuer.source?.close();
    throw error;
  }
  return { issuers, maxTokenBytes, clock: options.clock ?? Date.now, tokenCache };
}

// packages/core/src/verify/token-cache.ts
var MATERIAL = ["kty", "crv", "n", "e", "x", "y"];
function sameKey(a, b) {
  if (a === b) return true;
  if (a.kid !== b.kid) return false;
  for (const name of MATERIAL) if (a[name] !== b[name]) return false;
  return true;
}
function stillPublished(entry, keys) {
  if (keys === void 0 || entry.jwk === void 0) return false;
  if (keys === entry.keys) return true;
  for (const key of keys) {
    if (sameKey(key, entry.jwk)) {
      entry.keys = keys;
      return true;
    }
  }
  return false;
}
function createTokenCache(max) {
  const entries = /* @__PURE__ */ new Map();
  return {
    get(token2, now2) {
      const entry = entries.get(token2);
      if (entry === void 0) return void 0;
      if (now2 >= entry.expiresAt || now2 < entry.notBefore || entry.source !== void 0 && !stillPublished(entry, entry.source.peek())) {
        entries.delete(token2);
        return void 0;
      }
      entries.delete(token2);
      entries.set(token2, entry);
      return entry.principal;
    },
    set(token2, entry) {
      entries.delete(token2);
      entries.set(token2, entry);
      if (entries.size > max) entries.delete(entries.keys().next().value);
    },
    get size() {
      return entries.size;
    }
  };
}

// packages/core/src/verify/create-auth.ts
function freezeDeep(value) {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) freezeDeep(inner);
  }
  return value;
}
function createAuth(options) {
  const backend = createSignatureBackend();
  const decode2 = createBase64urlDecoder();
  const resolved = resolveOptions(options, backend, createRemoteJWKS);
  const { issuers, maxTokenBytes, clock } = resolved;
  const cache = resolved.tokenCache === void 0 ? void 0 : createTokenCache(resolved.tokenCache.max);
  const cacheTTL = resolved.tokenCache?.ttlMs;
  const only = issuers.size === 1 ? issuers.values().next().value : void 0;
  function remember(token2, issuer, claims, jwk2, now2, principal) {
    const keys = issuer.source?.peek();
    if (jwk2 !== void 0 && keys === void 0) return;
    const { exp, nbf, iat } = claims;
    let expiresAt = typeof exp === "number" ? exp * 1e3 : Number.POSITIVE_INFINITY;
    if (cacheTTL !== void 0) expiresAt = Math.min(expiresAt, now2 + cacheTTL);
    const maxAge = issuer.claims.maxAgeMs;
    if (maxAge !== void 0 && typeof iat === "number") expiresAt = Math.min(expiresAt, iat * 1e3 + maxAge);
    if (!(expiresAt > now2) || expiresAt === Number.POSITIVE_INFINITY) return;
    const start = Math.max(
      typeof nbf === "number" ? nbf : Number.NEGATIVE_INFINITY,
      typeof iat === "number" ? iat : Number.NEGATIVE_INFINITY
    );
    cache.set(token2, {
      // Shared by every later hit: nobody may change what the next request sees.
      principal: freezeDeep(principal),
      expiresAt,
      notBefore: start * 1e3 - issuer.claims.toleranceMs,
      source: issuer.source,
      jwk: jwk2,
      keys
    });
  }
  async function verify(token2) {
    if (typeof token2 !== "string") throw new TokenMalformedError("The token is not a string");
    if (cache !== void 0) {
      const hit = cache.get(token2, clock());
      if (hit !== void 0) return hit;
    }
    const { header, claims, signingInput, signature } = decodeJWS(token2, maxTokenBytes, decode2);
    rejectUnsigned(header);
    const iss = claims.iss;
    const issuer = only !== void 0 ? iss === only.issuer ? only : void 0 : typeof iss === "string" ? issuers.get(iss) : void 0;
    if (issuer === void 0) throw new IssuerUntrustedError("The token issuer is not trusted");
    checkHeader(header, issuer.header);
    const now2 = clock();
    checkClaims(claims, issuer.claims, now2);
    const alg = header.alg;
    let check = issuer.secretChecks.get(alg);
    let jwk2;
    if (check === void 0) {
      try {
        jwk2 = await issuer.source.getKey({ kid: header.kid, alg });
      } catch (error) {
        throw toAuthError(error, "source");
      }
      check = backend.forKey(jwk2, alg);
    }
    let valid = check(signingInput, signature);
    if (typeof valid !== "boolean") valid = await valid;
    if (!valid) throw new SignatureInvalidError("The token signature is invalid");
    const principal = await issuer.buildPrincipal({ header, claims, token: token2, issuer: issuer.issuer });
    if (cache !== void 0) remember(token2, issuer, claims, jwk2, now2, principal);
    return principal;
  }
  async function authenticate(request2, authenticateOptions = {}) {
    try {
      const { getToken, allowQuery } = authenticateOptions;
      const token2 = getToken !== void 0 ? await getToken(request2) : extractBearerToken(request2, { allowQuery });
      if (token2 === void 0 || token2 === null || token2 === "")
        return { ok: false, error: new TokenMissingError() };
      return { ok: true, principal: await verify(token2) };
    } catch (error) {
      if (AuthError.is(error) && error.code !== "ERR_CONFIGURATION") return { ok: false, error };
      throw error;
    }
  }
  return {
    verify,
    authenticate,
    close() {
      for (const issuer of issuers.values()) if (issuer.ownsSource) issuer.source?.close();
    }
  };
}

// bench/.tmp/parts.ts
var now = Math.floor(Date.now() / 1e3);
var CLAIMS = { iss: "https://issuer.bench", aud: "https://api.bench", sub: "user-4f1c2a", iat: now, nbf: now, exp: now + 3600, jti: "b7e0c2d4-1a6f-4b0e-9d2a-6c8f1e3a5b7d", scope: "orders:read orders:write profile", client_id: "bench-client" };
var { publicKey, privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
var jwk = { ...publicKey.export({ format: "jwk" }), kid: "k", alg: "RS256" };
var token = await new SignJWT(CLAIMS).setProtectedHeader({ alg: "RS256", kid: "k", typ: "JWT" }).sign(privateKey);
var decode = createBase64urlDecoder();
var build = createPrincipalBuilder();
var sink;
async function bench(name, fn, n = 1e5, isAsync = false) {
  for (let i = 0; i < n / 10; i++) isAsync ? await fn() : fn();
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    if (isAsync) for (let i = 0; i < n; i++) sink = await fn();
    else for (let i = 0; i < n; i++) sink = fn();
    best = Math.min(best, (performance.now() - t) / n * 1e3);
  }
  console.log(name.padEnd(30), best.toFixed(2), "\xB5s");
}
var policy = { audiences: ["https://api.bench"], toleranceMs: 6e4, maxAgeMs: void 0, requireExp: true, requiredClaims: [] };
await bench("decodeJWS", () => decodeJWS(token, 8192, decode));
var d = decodeJWS(token, 8192, decode);
await bench("checkClaims", () => checkClaims(d.claims, policy, Date.now()));
await bench("buildPrincipal", () => build({ header: d.header, claims: d.claims, token, issuer: "x" }), 1e5, true);
await bench("async noop", async () => 1, 1e5, true);
var dot = token.lastIndexOf(".");
var input = Buffer.from(token.slice(0, dot), "latin1");
var sig = Buffer.from(token.slice(dot + 1), "base64url");
await bench("floor RS256", () => crypto.verify("sha256", input, publicKey, sig), 5e3);
var auth = createAuth({ issuer: CLAIMS.iss, audience: CLAIMS.aud, keys: { keys: [jwk] } });
await bench("keygate RS256", () => auth.verify(token), 5e3, true);
await bench("floor RS256", () => crypto.verify("sha256", input, publicKey, sig), 5e3);
await bench("keygate RS256", () => auth.verify(token), 5e3, true);
