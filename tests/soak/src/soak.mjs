// The soak itself, shared by `pnpm soak` (cli.mjs, minutes) and the CI short form
// (test/soak.test.ts, seconds): keygate-server, one orders API per framework, and
// @keygate/client callers in closed loops, with signing-key rotation (short
// KEYGATE_ROTATE_EVERY) and API keys revoked mid-run. Every call ends in exactly one outcome
// class; the run fails on any unexpected class or any call that never settled.
import { createClient } from '@keygate/client'
import { rssOf, startAPI, startKeygateServer } from './processes.mjs'

export const FRAMEWORKS = ['express', 'fastify', 'hono']
const AUDIENCE = 'urn:keygate:soak:orders'
// The verifier's default clock tolerance (core's DEFAULT_CLOCK_TOLERANCE_MS): an API accepts a
// token until exp + this, so a revoked key's last token can be honoured that long.
const VERIFIER_CLOCK_TOLERANCE_MS = 60_000
// RSS counts as flat when the end is within this of the start (after warm-up): V8 heaps settle
// in steps of several MB, so a small absolute allowance plus a relative one.
const RSS_FLAT_RATIO = 1.2
const RSS_FLAT_SLACK_BYTES = 16 * 1024 * 1024
// The heap after a full GC is what the program keeps: a tighter allowance.
const HEAP_FLAT_SLACK_BYTES = 4 * 1024 * 1024
// A revoked caller's client backs off on its own; this pause keeps its loop from spinning on
// the cached rejection in between.
const PAUSE_AFTER_REJECTION_MS = 250

/** `'10s'` → 10000 (ms, s, m, h), or a number of ms. */
export function parseDuration(value) {
  if (typeof value === 'number') return value
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(value).trim())
  if (!match) throw new Error(`not a duration: ${value}`)
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 'ms']
  return Number(match[1]) * unit
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** @param {import('./soak.d.mts').SoakOptions} options */
export async function runSoak(options) {
  const log = options.log ?? (() => {})
  const durationMs = options.durationMs
  const warmupMs = options.warmupMs ?? Math.min(60_000, Math.max(5_000, durationMs / 10))
  const accessTokenTtl = options.accessTokenTtl ?? '10s'
  const ttlMs = parseDuration(accessTokenTtl)
  const callTimeoutMs = options.callTimeoutMs ?? 60_000
  const maxExtensionMs = options.maxExtensionMs ?? Math.max(60_000, durationMs)
  const concurrency = options.concurrency ?? 2
  const started = Date.now()

  log('starting keygate-server …')
  const server = await startKeygateServer({
    databaseUrl: options.databaseUrl,
    env: {
      KEYGATE_LOG_LEVEL: 'warn',
      KEYGATE_AUDIENCE: AUDIENCE,
      KEYGATE_SIGNING_ALGORITHM: options.algorithm ?? 'EdDSA',
      KEYGATE_ACCESS_TOKEN_TTL: accessTokenTtl,
      KEYGATE_ROTATE_EVERY: options.rotateEvery ?? '10s',
      KEYGATE_PUBLISH_AHEAD: options.publishAhead ?? '5s',
      KEYGATE_RETIRE_AFTER: options.retireAfter ?? '75s',
      // JWThenticator's routes are not exercised; their JWT lifetime must still fit retireAfter.
      JWT_LEASE_TIME: accessTokenTtl,
      // Each caller stands for a service on its own host (X-Forwarded-For below): failed
      // attempts of a revoked key then count against its own address, as in a deployment.
      KEYGATE_TRUST_PROXY: 'true',
    },
  })
  const stoppers = [() => server.stop()]
  /** @type {Awaited<ReturnType<typeof startAPI>>[]} */
  let apis = []
  try {
    log(`keygate-server at ${server.url} (pid ${server.pid}); starting the APIs …`)
    apis = await Promise.all(FRAMEWORKS.map((f) => startAPI(f, { issuer: server.url, audience: AUDIENCE })))
    for (const api of apis) log(`${api.framework} API at ${api.url} (pid ${api.pid})`)
    return await drive({
      ...options,
      log,
      server,
      apis,
      durationMs,
      warmupMs,
      ttlMs,
      callTimeoutMs,
      maxExtensionMs,
      concurrency,
      startupMs: Date.now() - started,
    })
  } finally {
    for (const api of apis) stoppers.push(() => api.stop())
    const results = await Promise.allSettled(stoppers.map((stop) => stop()))
    for (const result of results) if (result.status === 'rejected') log(`stop failed: ${result.reason}`)
  }
}

async function drive(run) {
  const { server, apis, log } = run
  const admin = { authorization: `Bearer ${server.adminToken}` }
  const origins = apis.map((api) => api.url)
  const problems = []
  const unexpected = new Map()
  /** outcome class → api → count */
  const outcomes = new Map()
  const created = new Map(apis.map((api) => [api.framework, new Map()]))
  const driver2xx = new Map(apis.map((api) => [api.framework, 0]))
  const driver403 = new Map(apis.map((api) => [api.framework, 0]))
  const clientEvents = {}
  let sent = 0
  let settled = 0
  let callerCount = 0
  const callers = []

  const record = (cls, api, expected, example) => {
    settled++
    const perApi = outcomes.get(cls) ?? new Map()
    perApi.set(api.framework, (perApi.get(api.framework) ?? 0) + 1)
    outcomes.set(cls, perApi)
    if (!expected) {
      const entry = unexpected.get(cls) ?? { count: 0, example }
      entry.count++
      unexpected.set(cls, entry)
    }
  }

  async function addCaller(kind) {
    const index = callerCount++
    const subject = `svc-${kind}-${index}`
    const permissions = kind === 'reader' ? ['orders:read'] : ['orders:read', 'orders:write']
    const response = await fetch(`${server.url}/admin/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...admin },
      body: JSON.stringify({ subject, name: subject, permissions }),
    })
    if (response.status !== 201) throw new Error(`POST /admin/api-keys answered ${response.status}`)
    const { id, key } = await response.json()
    // A host of its own per caller (the server trusts X-Forwarded-For here), on issuer requests
    // only; with `sharedAddress`, one host for all (services behind one NAT).
    const address = run.sharedAddress ? '10.77.0.1' : `10.77.${Math.floor(index / 250)}.${(index % 250) + 1}`
    const caller = {
      kind,
      subject,
      id,
      revokeStartedAt: undefined,
      revokedAt: undefined,
      rejectionsAfterRevocation: 0,
      events: {},
      client: createClient({
        issuer: server.url,
        key,
        origins,
        refreshMargin: Math.max(1000, Math.floor(run.ttlMs * 0.3)),
        refreshJitter: Math.max(100, Math.floor(run.ttlMs * 0.1)),
        fetch: (input, init) => {
          const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
          if (!url.startsWith(server.url)) return fetch(input, init)
          const headers = new Headers(init?.headers)
          headers.set('x-forwarded-for', address)
          return fetch(input, { ...init, headers })
        },
        onEvent: (event) => {
          caller.events[event.type] = (caller.events[event.type] ?? 0) + 1
          clientEvents[event.type] = (clientEvents[event.type] ?? 0) + 1
        },
      }),
    }
    callers.push(caller)
    return caller
  }

  async function call(caller, api, method) {
    sent++
    const sentAt = Date.now()
    try {
      const response = await caller.client.fetch(`${api.url}/orders`, {
        method,
        ...(method === 'POST'
          ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ item: 'soak' }) }
          : {}),
        signal: AbortSignal.timeout(run.callTimeoutMs),
      })
      await response.arrayBuffer()
      const status = response.status
      if (status === (method === 'POST' ? 201 : 200)) {
        driver2xx.set(api.framework, driver2xx.get(api.framework) + 1)
        if (method === 'POST') {
          const perSubject = created.get(api.framework)
          perSubject.set(caller.subject, (perSubject.get(caller.subject) ?? 0) + 1)
        }
        if (
          caller.revokedAt !== undefined &&
          sentAt > caller.revokedAt + run.ttlMs + VERIFIER_CLOCK_TOLERANCE_MS
        ) {
          // Its last token expired (plus the verifier's tolerance) before this call: must not pass.
          record('revoked key: accepted after its tokens expired', api, false, `${method} ${status}`)
        } else if (caller.revokeStartedAt !== undefined) {
          record('revoked key: ok while its last token lives', api, true)
        } else record('ok', api, true)
        return true
      }
      if (status === 403) driver403.set(api.framework, driver403.get(api.framework) + 1)
      const challenge = response.headers.get('www-authenticate') ?? ''
      if (
        status === 403 &&
        caller.kind === 'reader' &&
        method === 'POST' &&
        /error="insufficient_scope"/.test(challenge)
      ) {
        record('reader POST: 403 insufficient_scope', api, true)
        return true
      }
      const error = /error="([^"]+)"/.exec(challenge)?.[1] ?? ''
      record(
        `${method} answered ${status}${error ? ` ${error}` : ''}`,
        api,
        false,
        `${caller.subject} → ${api.framework}`,
      )
      return true
    } catch (error) {
      const code = error?.code ?? error?.name ?? 'Error'
      if (code === 'ERR_KEY_REJECTED' && caller.revokeStartedAt !== undefined) {
        caller.rejectionsAfterRevocation++
        record('revoked key: client refused a token (ERR_KEY_REJECTED)', api, true)
      } else {
        record(
          `client threw ${code}`,
          api,
          false,
          `${caller.subject} → ${api.framework}: ${error?.status ?? ''}`,
        )
      }
      return false
    }
  }

  let stopping = false
  const workers = []
  function startWorkers(caller) {
    for (let lane = 0; lane < run.concurrency; lane++) {
      workers.push(
        (async () => {
          let turn = lane
          while (!stopping) {
            const api = apis[turn % apis.length]
            // Writers alternate GET and POST; readers POST one call in four (→ 403).
            const post = caller.kind === 'reader' ? turn % 4 === 3 : turn % 2 === 1
            turn++
            const answered = await call(caller, api, post ? 'POST' : 'GET')
            if (!answered && !stopping) await sleep(PAUSE_AFTER_REJECTION_MS)
          }
        })(),
      )
    }
  }

  async function revoke(caller) {
    caller.revokeStartedAt = Date.now()
    const response = await fetch(`${server.url}/admin/api-keys/${caller.id}`, {
      method: 'DELETE',
      headers: admin,
    })
    caller.revokedAt = Date.now()
    if (response.status !== 204) problems.push(`DELETE /admin/api-keys answered ${response.status}`)
    log(`revoked ${caller.subject}'s API key; a new writer takes its place`)
    startWorkers(await addCaller('writer'))
  }

  const samples = []
  // Heap after a full GC where we can trigger one (the APIs; this process under --expose-gc):
  // RSS follows the load and the allocator, the collected heap shows a leak.
  const processes = [
    { name: 'keygate-server', pid: server.pid, heap: undefined },
    ...apis.map((api) => ({ name: `${api.framework} API`, pid: api.pid, heap: () => api.heapAfterGC() })),
    {
      name: 'soak driver (clients)',
      pid: process.pid,
      heap: globalThis.gc
        ? () => {
            globalThis.gc()
            return process.memoryUsage().heapUsed
          }
        : undefined,
    },
  ]
  const sampleRSS = async (phase) => {
    const rss = processes.map((p) => rssOf(p.pid))
    const heap = await Promise.all(processes.map((p) => (p.heap ? p.heap() : Number.NaN)))
    samples.push({ phase, at: Date.now(), rss, heap })
  }

  // Callers: writers, readers, and writers whose keys are revoked later.
  const initial = [
    ...Array.from({ length: run.writers ?? 3 }, () => 'writer'),
    ...Array.from({ length: run.readers ?? 1 }, () => 'reader'),
    ...Array.from({ length: run.revoked ?? 2 }, () => 'revoked'),
  ]
  for (const kind of initial) await addCaller(kind)
  const toRevoke = callers.filter((c) => c.kind === 'revoked')
  const loadStart = Date.now()
  for (const caller of [...callers]) startWorkers(caller)
  log(`load: ${callers.length} callers × ${run.concurrency} in flight, for ${run.durationMs / 1000} s`)

  // Revocations spread over the middle of the run; RSS sampled every tenth of it.
  const revokeAt = toRevoke.map((_, i) => loadStart + (run.durationMs * (i + 1)) / (toRevoke.length + 1))
  const sampleEvery = Math.max(1000, run.durationMs / 20)
  let nextSample = loadStart + run.warmupMs
  let nextProgress = loadStart + Math.max(10_000, run.durationMs / 10)
  const end = loadStart + run.durationMs
  const revocations = []
  let stats = []
  const minimumsMet = () => {
    const kidsPerAPI = stats.map((s) => s.kids.length)
    return (
      kidsPerAPI.length === apis.length &&
      kidsPerAPI.every((n) => n >= 2) &&
      toRevoke.every((c) => c.rejectionsAfterRevocation > 0) &&
      callers.filter((c) => c.kind !== 'revoked').every((c) => (c.events.refreshed ?? 0) > 0)
    )
  }
  for (;;) {
    const now = Date.now()
    while (revocations.length < toRevoke.length && now >= revokeAt[revocations.length]) {
      const caller = toRevoke[revocations.length]
      revocations.push({ subject: caller.subject, atSeconds: Math.round((now - loadStart) / 1000) })
      await revoke(caller)
    }
    if (now >= nextSample) {
      await sampleRSS(samples.length === 0 ? 'start' : 'during')
      nextSample += sampleEvery
    }
    stats = await Promise.all(apis.map((api) => api.stats()))
    if (now >= nextProgress) {
      log(
        `${Math.round((now - loadStart) / 1000)} s: ${sent} calls, ${unexpectedTotal(unexpected)} unexpected`,
      )
      nextProgress += Math.max(10_000, run.durationMs / 10)
    }
    if (!server.running()) {
      problems.push('keygate-server exited during the run')
      break
    }
    if (apis.some((api) => !api.running())) {
      problems.push('an API process exited during the run')
      break
    }
    if (now >= end && revocations.length === toRevoke.length && samples.length > 0) {
      if (minimumsMet()) break
      if (now >= end + run.maxExtensionMs) {
        problems.push(
          'minimums not met within the extension: a rotation seen by every API, a refresh per caller, a rejection per revoked key',
        )
        break
      }
    }
    await sleep(250)
  }
  await sampleRSS('end')
  const loadMs = Date.now() - loadStart

  // Stop: every lane finishes its call in flight (each bounded by callTimeoutMs).
  stopping = true
  const drained = await Promise.race([
    Promise.all(workers).then(() => true),
    sleep(run.callTimeoutMs + 10_000).then(() => false),
  ])
  if (!drained) problems.push('workers did not finish after the call timeout')
  const lost = sent - settled
  if (lost !== 0) problems.push(`${lost} calls were sent and never settled`)
  for (const caller of callers) caller.client.close()
  stats = await Promise.all(apis.map((api) => api.stats()))

  // The APIs' own counts must match what the callers received.
  const accounting = stats.map((s) => {
    const status = (code) => s.statuses[code] ?? 0
    const api5xx = Object.entries(s.statuses)
      .filter(([code]) => Number(code) >= 500)
      .reduce((sum, [, n]) => sum + n, 0)
    const mine = created.get(s.framework)
    const ordersMatch =
      Object.keys(s.orders).length === mine.size && [...mine].every(([subject, n]) => s.orders[subject] === n)
    const row = {
      api: s.framework,
      driver2xx: driver2xx.get(s.framework),
      api2xx: status('200') + status('201'),
      driver403: driver403.get(s.framework),
      api403: status('403'),
      api401RetriedOrFinal: status('401'),
      api5xx,
      ordersStored: Object.values(s.orders).reduce((sum, n) => sum + n, 0),
      ordersMatch,
      kidsSeen: s.kids.length,
      jwksFetches: s.jwksFetches,
      kidMisses: s.kidMisses,
    }
    if (row.driver2xx !== row.api2xx)
      problems.push(`${s.framework}: callers got ${row.driver2xx} 2xx, the API sent ${row.api2xx}`)
    if (row.driver403 !== row.api403)
      problems.push(`${s.framework}: callers got ${row.driver403} 403, the API sent ${row.api403}`)
    if (api5xx > 0) problems.push(`${s.framework}: ${api5xx} 5xx answers`)
    if (!ordersMatch) problems.push(`${s.framework}: stored orders differ from the 201s the callers received`)
    return row
  })
  if (server.log.errors > 0)
    problems.push(`keygate-server logged ${server.log.errors} errors: ${server.log.errorMessages.join('; ')}`)
  const exit = await server.stop()
  server.stop = async () => exit
  if (exit.code !== 0) problems.push(`keygate-server exited with ${exit.code ?? exit.signal} on SIGTERM`)

  const start = samples.find((s) => s.phase === 'start')
  const last = samples.at(-1)
  const rss = processes.map((p, i) => {
    const startBytes = start.rss[i]
    const endBytes = last.rss[i]
    const maxBytes = Math.max(...samples.map((s) => s.rss[i]))
    return {
      process: p.name,
      startMB: mb(startBytes),
      endMB: mb(endBytes),
      maxMB: mb(maxBytes),
      flat: endBytes <= startBytes * RSS_FLAT_RATIO + RSS_FLAT_SLACK_BYTES,
      heapAfterGCStartMB: Number.isNaN(start.heap[i]) ? null : mb(start.heap[i]),
      heapAfterGCEndMB: Number.isNaN(last.heap[i]) ? null : mb(last.heap[i]),
      heapFlat: Number.isNaN(start.heap[i])
        ? null
        : last.heap[i] <= start.heap[i] * RSS_FLAT_RATIO + HEAP_FLAT_SLACK_BYTES,
    }
  })

  const allKids = new Set(stats.flatMap((s) => s.kids))
  const byClass = {}
  for (const [cls, perApi] of outcomes) byClass[cls] = Object.fromEntries(perApi)
  const unexpectedList = [...unexpected].map(([cls, { count, example }]) => ({ class: cls, count, example }))
  const ok = unexpectedList.length === 0 && problems.length === 0
  return {
    ok,
    startupSeconds: Math.round(run.startupMs / 100) / 10,
    loadSeconds: Math.round(loadMs / 100) / 10,
    callers: callers.map((c) => ({ subject: c.subject, kind: c.kind, events: c.events })),
    sent,
    settled,
    lost,
    byClass,
    unexpected: unexpectedList,
    clientEvents,
    refreshes: clientEvents.refreshed ?? 0,
    signingKeysSeen: allKids.size,
    rotationsSeen: Math.max(0, allKids.size - 1),
    revocations,
    accounting,
    rss,
    rssFlat: rss.every((r) => r.flat),
    heapFlat: rss.every((r) => r.heapFlat !== false),
    server: { exitCode: exit.code, errorLogs: server.log.errors, warnLogs: server.log.warnings },
    problems,
  }
}

function unexpectedTotal(unexpected) {
  let total = 0
  for (const { count } of unexpected.values()) total += count
  return total
}

function mb(bytes) {
  return Math.round((bytes / 1024 / 1024) * 10) / 10
}
