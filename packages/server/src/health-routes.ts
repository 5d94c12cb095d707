/**
 * `/healthz` and `/readyz` for orchestrators: alive is "the process answers"; ready is "the
 * database answers and the signing keys are loaded", so a load balancer stops sending traffic
 * during a database outage and resumes by itself when it ends.
 */
import type { Issuer, IssuerStore } from '@keygate/core'
import type { FastifyInstance } from 'fastify'

/** Longest a readiness probe waits for the database before it answers 503. */
export const READY_TIMEOUT_MS = 2_000
// Probes come every few seconds; tell callers to come back after about one period.
const READY_RETRY_AFTER_S = 1

interface HealthDependencies {
  store: IssuerStore & { ping?(): Promise<void> }
  issuer: Issuer
}

/** Adds `GET /healthz` (200 while the process runs) and `GET /readyz` (200 or 503 + `Retry-After`). */
export function registerHealthRoutes(fastify: FastifyInstance, { store, issuer }: HealthDependencies): void {
  const noStore = { 'cache-control': 'no-store' }
  fastify.get('/healthz', async (_request, reply) => reply.headers(noStore).send({ status: 'ok' }))
  fastify.get('/readyz', async (request, reply) => {
    try {
      await withTimeout(
        (async () => {
          await store.ping?.()
          await issuer.ready()
        })(),
        READY_TIMEOUT_MS,
      )
      return reply.headers(noStore).send({ status: 'ready' })
    } catch (error) {
      // The code only (e.g. ERR_STORE_UNAVAILABLE): a driver's message may quote a connection string.
      const code =
        typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : 'unknown'
      request.log.warn({ code }, 'not ready')
      return reply
        .code(503)
        .headers({ ...noStore, 'retry-after': String(READY_RETRY_AFTER_S) })
        .send({ status: 'unavailable', code })
    }
  })
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'ERR_TIMEOUT' })), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
