/**
 * The same small "orders" API three times — Express, Fastify, Hono — each verifying tokens with
 * its Keygate package against the trusted issuers' JWKS (the fourth, on Next.js, is
 * app/api/orders/route.ts). `GET /orders` needs `orders:read` (the demo key has it);
 * `POST /orders` needs `orders:write` (it has not: 403 insufficient_scope).
 */
import { serve } from '@hono/node-server'
import { createAuth } from '@keygate/core'
import { authenticate as expressAuthenticate, authorize as expressAuthorize, getAuth } from '@keygate/express'
import { keygate } from '@keygate/fastify'
import { authenticate as honoAuthenticate, authorize as honoAuthorize } from '@keygate/hono'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { ORDERS, READ, trustOptions, WRITE } from './orders.mjs'

/** One verifier per API, as separate services would have (see trustOptions). */
function verifier(trusted) {
  return createAuth(trustOptions(trusted))
}

function listening(server) {
  const address = server.address()
  return `http://127.0.0.1:${address.port}`
}

export async function startExpress(issuer, port) {
  const auth = verifier(issuer)
  const app = express()
  app.get('/orders', expressAuthenticate(auth), expressAuthorize(READ), (req, res) => {
    res.json({ framework: 'express', subject: getAuth(req).subject, orders: ORDERS })
  })
  app.post('/orders', expressAuthenticate(auth), expressAuthorize(WRITE), (req, res) => {
    res.status(201).json({ framework: 'express', createdBy: getAuth(req).subject })
  })
  const server = await new Promise((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s))
  })
  return {
    name: 'express',
    url: listening(server),
    close: () => {
      auth.close()
      server.closeAllConnections?.()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

export async function startFastify(issuer, port) {
  const auth = verifier(issuer)
  const fastify = Fastify()
  await fastify.register(keygate, { auth })
  fastify.get('/orders', { config: { auth: { requirement: READ } } }, async (request) => ({
    framework: 'fastify',
    subject: request.auth.subject,
    orders: ORDERS,
  }))
  fastify.post('/orders', { config: { auth: { requirement: WRITE } } }, async (request, reply) =>
    reply.code(201).send({ framework: 'fastify', createdBy: request.auth.subject }),
  )
  await fastify.listen({ port, host: '127.0.0.1' })
  return {
    name: 'fastify',
    url: listening(fastify.server),
    close: async () => {
      await fastify.close()
      auth.close()
    },
  }
}

export async function startHono(issuer, port) {
  const auth = verifier(issuer)
  const app = new Hono()
  app.get('/orders', honoAuthenticate(auth), honoAuthorize(READ), (c) =>
    c.json({ framework: 'hono', subject: c.var.auth.subject, orders: ORDERS }),
  )
  app.post('/orders', honoAuthenticate(auth), honoAuthorize(WRITE), (c) =>
    c.json({ framework: 'hono', createdBy: c.var.auth.subject }, 201),
  )
  const server = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve(s))
  })
  return {
    name: 'hono',
    url: listening(server),
    close: () => {
      auth.close()
      server.closeAllConnections?.()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
