// jose's subpaths, not its root: the root re-exports JWE, whose CompressionStream use makes
// Next.js 15 warn about every edge bundle that imports @keygate/core.
import { calculateJwkThumbprint } from 'jose/jwk/thumbprint'
import { exportJWK } from 'jose/key/export'
import { generateKeyPair } from 'jose/key/generate/keypair'
import { AuthError, KeysUnavailableError } from '../errors.js'
import type { Clock, JWK } from '../types.js'
import { base64urlEncode } from './encoding.js'
import { type InitialSigningKey, importSigningKey } from './import-signing-key.js'
import type { SecretBox } from './secret-box.js'
import { createSigner, type SignFunction } from './signer.js'
import type { IssuerStore, SigningAlgorithm, SigningKeyChanges, SigningKeyRecord } from './store.js'
import type { IssuerEvent } from './types.js'

/** The rotation schedule, in milliseconds. */
export interface SigningPolicy {
  algorithm: SigningAlgorithm
  rotateEvery: number
  publishAhead: number
  retireAfter: number
}

/** The key that signs right now, ready to use. */
export interface ActiveKey {
  kid: string
  algorithm: SigningAlgorithm
  /** base64url of the protected header `{ alg, kid, typ: 'at+jwt' }`, computed once per key. */
  headerSegment: string
  sign: SignFunction
}

export interface KeyRing {
  /** The current key, after running any rotation step that is due. */
  active(): Promise<ActiveKey>
  /** The current key when no rotation step or reload is due, without a promise; else `undefined`. */
  activeNow(): ActiveKey | undefined
  /** The keys to publish in the JWKS now. */
  published(): Promise<JWK[]>
  /** A published key by `kid`; reloads from the store at most once per cooldown on a miss. */
  lookup(kid: string): Promise<JWK | undefined>
  /** Published keys as last loaded, without I/O; `undefined` before the first load. */
  peek(): JWK[] | undefined
  /** Reloads from the store and applies due rotation steps. */
  sync(): Promise<void>
  /**
   * Forced rotation: a new key signs at once and the current one is retired (still published
   * for `retireAfter`). Resolves to the kid that signs now.
   */
  rotateNow(): Promise<string>
}

/** Ring reloads happen at least this often, so a process sees other processes' rotations. */
export const RING_REFRESH_MS = 60_000
/** Minimum time between two reloads caused by an unknown `kid`: a flood of random kids costs one. */
const KID_MISS_COOLDOWN_MS = 5_000
/** After a failed reload the cached ring is kept and the reload retried this much later. */
const SYNC_RETRY_MS = 1_000
/** Compare-and-set attempts before giving up for now (another process keeps winning: it did the work). */
const MAX_CAS_ATTEMPTS = 5
const JWT_TYPE = 'at+jwt'

/** True while a key belongs in the JWKS: not retired, or retired less than `retireAfter` ago. */
export function isPublished(key: SigningKeyRecord, now: number, policy: SigningPolicy): boolean {
  return key.state !== 'retired' || (key.retiredAt !== null && now < key.retiredAt + policy.retireAfter)
}

type NewKey = (state: 'current' | 'next', now: number) => Promise<SigningKeyRecord>

/**
 * The rotation state machine, as a pure step over the stored keys: publish a `next` key
 * `publishAhead` before the current one is due, promote it once it has been published that long
 * (publish-before-sign), retire the old one, drop retired keys once their tokens have expired.
 * Returns the changes, or `undefined` when nothing is due.
 *
 * `force` (an operator's "rotate now", e.g. after a suspected key leak) skips publish-before-sign:
 * the `next` key, or a new one, signs at once and the current key is retired. Verifiers that have
 * not seen the new kid fetch the JWKS on their kid miss; the old key stays published for
 * `retireAfter`, so tokens it signed keep verifying until they expire.
 */
export async function planRotation(
  keys: readonly SigningKeyRecord[],
  now: number,
  policy: SigningPolicy,
  newKey: NewKey,
  force = false,
): Promise<SigningKeyChanges | undefined> {
  const ring = new Map(keys.map((k) => [k.id, { ...k }]))
  const put = new Set<string>()
  const removed: string[] = []
  const update = (record: SigningKeyRecord) => {
    ring.set(record.id, record)
    put.add(record.id)
  }
  for (let round = 0; round < 4; round++) {
    const before = put.size + removed.length
    for (const key of [...ring.values()]) {
      if (!isPublished(key, now, policy)) {
        ring.delete(key.id)
        put.delete(key.id)
        removed.push(key.id)
      }
    }
    const byState = (state: SigningKeyRecord['state']) => [...ring.values()].filter((k) => k.state === state)
    const currents = byState('current').sort((a, b) => (b.activatedAt ?? 0) - (a.activatedAt ?? 0))
    // Self-healing: two current keys cannot come from this code, but a hand-edited store could.
    for (const extra of currents.slice(1)) update({ ...extra, state: 'retired', retiredAt: now })
    const current = currents[0]
    const nexts = byState('next').sort((a, b) => a.createdAt - b.createdAt)
    const next = nexts.find((k) => k.algorithm === policy.algorithm) ?? nexts[0]
    if (force && round === 0 && current) {
      const successor =
        next?.algorithm === policy.algorithm
          ? { ...next, state: 'current' as const, activatedAt: now }
          : await newKey('current', now)
      update({ ...current, state: 'retired', retiredAt: now })
      update(successor)
    } else if (!current) {
      // First start (nothing to verify yet) or a lost current key: sign at once.
      if (next) update({ ...next, state: 'current', activatedAt: now })
      else update(await newKey('current', now))
    } else {
      const switching = current.algorithm !== policy.algorithm
      const dueAt = (current.activatedAt ?? current.createdAt) + policy.rotateEvery
      if (!next && (switching || now >= dueAt - policy.publishAhead)) {
        update(await newKey('next', now))
      } else if (next && (switching || now >= dueAt) && now >= next.createdAt + policy.publishAhead) {
        update({ ...current, state: 'retired', retiredAt: now })
        update({ ...next, state: 'current', activatedAt: now })
      }
    }
    if (put.size + removed.length === before) break
  }
  if (put.size === 0 && removed.length === 0) return undefined
  return { put: [...put].map((id) => ring.get(id)!), delete: removed }
}

/** When the next rotation step is due for this ring (epoch ms). */
function nextStepAt(keys: readonly SigningKeyRecord[], policy: SigningPolicy): number {
  let at = Number.POSITIVE_INFINITY
  const current = keys.find((k) => k.state === 'current')
  const next = keys.filter((k) => k.state === 'next').sort((a, b) => a.createdAt - b.createdAt)[0]
  if (current) {
    const dueAt = (current.activatedAt ?? current.createdAt) + policy.rotateEvery
    at = next ? Math.max(dueAt, next.createdAt + policy.publishAhead) : dueAt - policy.publishAhead
  }
  for (const k of keys)
    if (k.state === 'retired' && k.retiredAt !== null) at = Math.min(at, k.retiredAt + policy.retireAfter)
  return at
}

function publicJwkOf(record: SigningKeyRecord): JWK {
  return { ...record.publicJwk, kid: record.id, alg: record.algorithm, use: 'sig' }
}

/** Creates the key ring over a store; all state is in the store, this only caches it. */
export function createKeyRing(options: {
  store: IssuerStore
  box: SecretBox
  policy: SigningPolicy
  clock: Clock
  emit: (event: IssuerEvent) => void
  /** Becomes the first current key when the store holds none (`signing.initialKey`). */
  initialKey?: InitialSigningKey
}): KeyRing {
  const { store, box, policy, clock, emit, initialKey } = options
  let keys: SigningKeyRecord[] | undefined
  let checkAt = 0
  let activeKey: ActiveKey | undefined
  let syncing: Promise<void> | undefined
  let lastMissReload = Number.NEGATIVE_INFINITY
  // A key generated for a compare-and-set that lost is kept for the retry (RSA keys are slow to make).
  let spare: SigningKeyRecord | undefined
  const signers = new Map<string, Promise<ActiveKey>>()

  const newKey: NewKey = async (state, now) => {
    if (spare && spare.algorithm === policy.algorithm) {
      const record = { ...spare, state, createdAt: now, activatedAt: state === 'current' ? now : null }
      spare = undefined
      return record
    }
    const { publicKey, privateKey } = await generateKeyPair(policy.algorithm, { extractable: true })
    const publicJwk = (await exportJWK(publicKey)) as JWK
    const id = await calculateJwkThumbprint(publicJwk)
    const privateJwk = await exportJWK(privateKey)
    const record: SigningKeyRecord = {
      id,
      algorithm: policy.algorithm,
      state,
      publicJwk: { ...publicJwk, kid: id, alg: policy.algorithm, use: 'sig' },
      sealedPrivateKey: await box.seal(JSON.stringify(privateJwk), `signing-key:${id}`),
      createdAt: now,
      activatedAt: state === 'current' ? now : null,
      retiredAt: null,
    }
    spare = record
    return record
  }

  let imported: Promise<{ privateJwk: JWK; publicJwk: JWK }> | undefined
  /** `newKey` for an empty store with `initialKey`: the imported key signs first, sealed like any other. */
  const importedKey: NewKey = async (state, now) => {
    if (initialKey === undefined || state !== 'current') return newKey(state, now)
    imported ??= importSigningKey(initialKey, policy.algorithm)
    // A key that cannot be imported is reported again on the next attempt, not cached.
    imported.catch(() => {
      imported = undefined
    })
    const { privateJwk, publicJwk } = await imported
    const id = await calculateJwkThumbprint(publicJwk)
    return {
      id,
      algorithm: policy.algorithm,
      state,
      publicJwk: { ...publicJwk, kid: id, alg: policy.algorithm, use: 'sig' },
      sealedPrivateKey: await box.seal(JSON.stringify(privateJwk), `signing-key:${id}`),
      createdAt: now,
      activatedAt: now,
      retiredAt: null,
    }
  }

  function signerFor(record: SigningKeyRecord): Promise<ActiveKey> {
    let signer = signers.get(record.id)
    if (!signer) {
      signer = (async () => {
        const privateJwk = JSON.parse(
          await box.open(record.sealedPrivateKey, `signing-key:${record.id}`),
        ) as JWK
        const header = { alg: record.algorithm, kid: record.id, typ: JWT_TYPE }
        return {
          kid: record.id,
          algorithm: record.algorithm,
          headerSegment: base64urlEncode(JSON.stringify(header)),
          sign: await createSigner(record.algorithm, privateJwk),
        }
      })()
      signers.set(record.id, signer)
      // A failed decrypt must not stick: the next call tries again (and reports again).
      signer.catch(() => signers.delete(record.id))
    }
    return signer
  }

  function emitChanges(before: readonly SigningKeyRecord[], changes: SigningKeyChanges, at: number) {
    const old = new Map(before.map((k) => [k.id, k]))
    for (const k of changes.put ?? []) {
      const was = old.get(k.id)
      if (!was) emit({ type: 'signing_key_published', kid: k.id, algorithm: k.algorithm, at })
      if (k.state === 'current' && was?.state !== 'current')
        emit({ type: 'signing_key_activated', kid: k.id, at })
      if (k.state === 'retired' && was?.state !== 'retired')
        emit({ type: 'signing_key_retired', kid: k.id, at })
    }
    for (const id of changes.delete ?? []) emit({ type: 'signing_key_removed', kid: id, at })
  }

  /** `force`: retire the key current at the first read (see `planRotation`). */
  async function load(force = false): Promise<void> {
    let retiring: string | undefined
    let settled = false
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const ring = await store.getSigningKeys()
      const now = clock()
      // Only a store that has never held a key takes the imported one: later it rotates normally.
      const make = ring.keys.length === 0 && initialKey !== undefined ? importedKey : newKey
      const current = ring.keys.find((k) => k.state === 'current')?.id
      if (attempt === 0) retiring = current
      // After a lost race, force only if the key to retire still signs: if another process has
      // rotated meanwhile, the request is already fulfilled and a second rotation would be one too many.
      const changes = await planRotation(ring.keys, now, policy, make, force && current === retiring)
      if (!changes) {
        keys = ring.keys
        settled = true
        break
      }
      if (await store.updateSigningKeys(ring.version, changes)) {
        emitChanges(ring.keys, changes, now)
        if ((changes.put ?? []).some((k) => k.id === spare?.id)) spare = undefined
        const next = new Map(ring.keys.map((k) => [k.id, k]))
        for (const k of changes.put ?? []) next.set(k.id, k)
        for (const id of changes.delete ?? []) next.delete(id)
        keys = [...next.values()]
        settled = true
        break
      }
      // Lost the race: another process changed the ring. Re-read and re-plan; usually nothing is left to do.
    }
    if (!keys) throw new KeysUnavailableError('The signing keys could not be loaded', 1)
    // A lazy sync may give up (another process keeps winning: it did the work); a forced rotation
    // the operator asked for must not report success without having happened.
    if (force && !settled) throw new KeysUnavailableError('The signing keys could not be rotated', 1)
    const now = clock()
    checkAt = Math.max(now + 1, Math.min(nextStepAt(keys, policy), now + RING_REFRESH_MS))
    for (const id of signers.keys()) if (!keys.some((k) => k.id === id)) signers.delete(id)
    const current = keys.find((k) => k.state === 'current')
    activeKey = current ? await signerFor(current) : undefined
  }

  function sync(): Promise<void> {
    syncing ??= load()
      .catch((error) => {
        // Keep serving from the cached ring while the store is unreachable; retry soon.
        checkAt = clock() + SYNC_RETRY_MS
        if (!keys || !activeKey) {
          // Keygate's own errors (a key that cannot be decrypted is a ConfigurationError) keep
          // their meaning; anything else is the store failing: 503, retry soon.
          throw AuthError.is(error)
            ? error
            : new KeysUnavailableError('The signing keys could not be loaded', 1, { cause: error })
        }
      })
      .finally(() => {
        syncing = undefined
      })
    return syncing
  }

  const publishedNow = () => {
    const now = clock()
    return (keys ?? []).filter((k) => isPublished(k, now, policy)).map(publicJwkOf)
  }

  return {
    activeNow() {
      return activeKey !== undefined && clock() < checkAt ? activeKey : undefined
    },
    async active() {
      if (activeKey === undefined || clock() >= checkAt) await sync()
      if (!activeKey) throw new KeysUnavailableError('No signing key is available', 1)
      return activeKey
    },
    async published() {
      if (keys === undefined || clock() >= checkAt) await sync()
      return publishedNow()
    },
    async lookup(kid) {
      if (keys === undefined || clock() >= checkAt) await sync()
      let found = publishedNow().find((k) => k.kid === kid)
      const now = clock()
      if (!found && now - lastMissReload >= KID_MISS_COOLDOWN_MS) {
        lastMissReload = now
        await sync()
        found = publishedNow().find((k) => k.kid === kid)
      }
      return found
    },
    peek() {
      return keys === undefined ? undefined : publishedNow()
    },
    sync,
    async rotateNow() {
      // One load at a time: wait out a sync in flight, then rotate from what it left in the store.
      while (syncing) await syncing.catch(() => {})
      const forced = load(true).catch((error) => {
        // As in sync: Keygate's errors keep their meaning; anything else is the store failing.
        throw AuthError.is(error)
          ? error
          : new KeysUnavailableError('The signing keys could not be rotated', 1, { cause: error })
      })
      syncing = forced
        .catch(() => {
          checkAt = clock() + SYNC_RETRY_MS
        })
        .finally(() => {
          syncing = undefined
        })
      await forced
      if (!activeKey) throw new KeysUnavailableError('No signing key is available', 1)
      return activeKey.kid
    },
  }
}
