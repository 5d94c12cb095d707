/**
 * The short form of `pnpm soak` for every `pnpm test`: the same code (src/soak.mjs) with a 20 s
 * load phase — keygate-server as a child process, the Express, Fastify and Hono orders APIs, six
 * @keygate/client callers, signing keys rotating every 10 s, two API keys revoked mid-run.
 * Asserts classes and counts only, never speed: the run itself goes on past 20 s (bounded) until
 * every API has seen a rotation, every caller has refreshed and every revoked key was refused, so
 * a slow machine makes it longer, not red. Needs `pnpm build` first.
 */
import { describe, expect, it } from 'vitest'
import { FRAMEWORKS, runSoak } from '../src/soak.mjs'

describe('pnpm soak, short form', () => {
  it('answers every call with an expected class, and the APIs agree with the callers', async () => {
    const report = await runSoak({
      durationMs: 20_000,
      warmupMs: 5_000,
      ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
    })
    // On failure, the report says which class, API and caller.
    expect({ unexpected: report.unexpected, problems: report.problems }).toEqual({
      unexpected: [],
      problems: [],
    })
    expect(report.ok).toBe(true)
    expect(report.lost).toBe(0)
    expect(report.settled).toBe(report.sent)
    const classes = Object.keys(report.byClass)
    expect(classes).toEqual(
      expect.arrayContaining([
        'ok',
        'reader POST: 403 insufficient_scope',
        'revoked key: client refused a token (ERR_KEY_REJECTED)',
      ]),
    )
    for (const framework of FRAMEWORKS) expect(report.byClass.ok?.[framework]).toBeGreaterThan(0)
    expect(report.rotationsSeen).toBeGreaterThanOrEqual(1)
    expect(report.refreshes).toBeGreaterThanOrEqual(report.callers.length - report.revocations.length)
    expect(report.revocations).toHaveLength(2)
    for (const row of report.accounting) {
      expect(row.api2xx).toBe(row.driver2xx)
      expect(row.api403).toBe(row.driver403)
      expect(row.api5xx).toBe(0)
      expect(row.ordersMatch).toBe(true)
      expect(row.kidsSeen).toBeGreaterThanOrEqual(2)
    }
    expect(report.server).toMatchObject({ exitCode: 0, errorLogs: 0 })
  }, 600_000)
})
