// `pnpm soak`: runs the soak (soak.mjs) for SOAK_DURATION (default 5m) and prints its report.
// Exits 1 on any unexpected outcome, unaccounted call or failed check; with SOAK_FAIL_ON_RSS=1
// also when a process's RSS or collected heap did not stay flat. Run with --expose-gc (the
// root script does) so the driver's own heap is measured after a GC too. SOAK_REPORT=file.json writes the whole report.
import { writeFileSync } from 'node:fs'
import { parseDuration, runSoak } from './soak.mjs'

const env = process.env
const int = (name, fallback) => (env[name] ? Number.parseInt(env[name], 10) : fallback)
const options = {
  durationMs: parseDuration(env.SOAK_DURATION || '5m'),
  ...(env.SOAK_WARMUP ? { warmupMs: parseDuration(env.SOAK_WARMUP) } : {}),
  writers: int('SOAK_WRITERS', 3),
  readers: int('SOAK_READERS', 1),
  revoked: int('SOAK_REVOKED', 2),
  concurrency: int('SOAK_CONCURRENCY', 2),
  accessTokenTtl: env.SOAK_ACCESS_TOKEN_TTL || '10s',
  rotateEvery: env.SOAK_ROTATE_EVERY || '10s',
  publishAhead: env.SOAK_PUBLISH_AHEAD || '5s',
  retireAfter: env.SOAK_RETIRE_AFTER || '75s',
  algorithm: env.SOAK_ALGORITHM || 'EdDSA',
  sharedAddress: env.SOAK_SHARED_ADDRESS === '1',
  ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
  log: (line) => process.stderr.write(`soak: ${line}\n`),
}

const report = await runSoak(options)
if (env.SOAK_REPORT) writeFileSync(env.SOAK_REPORT, `${JSON.stringify(report, null, 2)}\n`)

const out = (line = '') => process.stdout.write(`${line}\n`)
out(
  `keygate soak — ${options.databaseUrl ? 'PostgreSQL' : 'PGlite'}, ${options.algorithm}, ` +
    `access tokens ${options.accessTokenTtl}, rotation every ${options.rotateEvery}`,
)
out(`start-up ${report.startupSeconds} s, load ${report.loadSeconds} s`)
out()
out(`calls: ${report.sent} sent, ${report.settled} settled, ${report.lost} never settled`)
const apis = ['express', 'fastify', 'hono']
out(`  ${'outcome'.padEnd(58)}${apis.map((a) => a.padStart(9)).join('')}`)
for (const [cls, perApi] of Object.entries(report.byClass)) {
  out(`  ${cls.padEnd(58)}${apis.map((a) => String(perApi[a] ?? 0).padStart(9)).join('')}`)
}
out()
out(`unexpected: ${report.unexpected.length === 0 ? 'none' : ''}`)
for (const u of report.unexpected) out(`  ${u.count} × ${u.class} (e.g. ${u.example})`)
out(`client events: ${JSON.stringify(report.clientEvents)}`)
out(
  `refreshes: ${report.refreshes}; signing keys seen by the APIs: ${report.signingKeysSeen} ` +
    `(${report.rotationsSeen} rotations)`,
)
out(`revocations: ${report.revocations.map((r) => `${r.subject} at ${r.atSeconds} s`).join(', ') || 'none'}`)
out()
out(
  'per API: 2xx callers/API, 403 callers/API, 401 at the API (incl. retried), 5xx, orders stored (match), kids, JWKS fetches',
)
for (const a of report.accounting) {
  out(
    `  ${a.api.padEnd(8)} ${a.driver2xx}/${a.api2xx}  ${a.driver403}/${a.api403}  ${a.api401RetriedOrFinal}  ` +
      `${a.api5xx}  ${a.ordersStored} (${a.ordersMatch ? 'match' : 'MISMATCH'})  ${a.kidsSeen}  ${a.jwksFetches}`,
  )
}
out()
out('RSS after warm-up → end (max), and heap after a full GC start → end, MB:')
for (const r of report.rss) {
  const heap =
    r.heapAfterGCStartMB === null
      ? ''
      : `  heap ${r.heapAfterGCStartMB} → ${r.heapAfterGCEndMB} ${r.heapFlat ? 'flat' : 'GREW'}`
  out(
    `  ${r.process.padEnd(24)} ${String(r.startMB).padStart(7)} → ${String(r.endMB).padStart(7)} (${r.maxMB})  ${r.flat ? 'flat' : 'GREW'}${heap}`,
  )
}
out(
  `keygate-server: exit ${report.server.exitCode} on SIGTERM, ${report.server.errorLogs} error logs, ${report.server.warnLogs} warnings`,
)
for (const p of report.problems) out(`problem: ${p}`)
const failed = !report.ok || (env.SOAK_FAIL_ON_RSS === '1' && !(report.rssFlat && report.heapFlat))
out(failed ? 'SOAK FAILED' : 'soak passed')
process.exit(failed ? 1 : 0)
