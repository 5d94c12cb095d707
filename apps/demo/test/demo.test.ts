/**
 * The demo end to end (issue 16): `src/start.mjs` as a real process (keygate-server on PGlite,
 * Express, Fastify, Hono, the Next.js app that serves the page and the fourth API, the client
 * loop) driven in Debian's headless Chromium. Screenshots go to apps/demo/test-results/ (git-ignored).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const CHROMIUM = '/usr/bin/chromium'
const APP = join(dirname(fileURLToPath(import.meta.url)), '..')
const ROOT = join(APP, '..', '..')
const SHOTS = join(APP, 'test-results')
const APIS = ['express', 'fastify', 'hono', 'next'] as const

const missing = !existsSync(CHROMIUM)
if (missing && process.env.CI) {
  // Under CI the browser test must run: .ci/run installs Debian's chromium.
  throw new Error(`${CHROMIUM} is missing under CI; install the Debian chromium package`)
}
if (missing) console.warn(`apps/demo e2e skipped: ${CHROMIUM} not found (apt-get install chromium)`)

/** Polls `check` until it returns true; generous limits, no fixed sleeps. */
async function until(check: () => Promise<boolean>, what: string, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/**
 * The Next.js build the demo serves, up to date with the sources, as `pnpm demo` makes it: a turbo
 * cache hit (under a second) when `pnpm test` has just built everything, `next build` otherwise.
 */
async function buildDemo(): Promise<void> {
  const turbo = join(ROOT, 'node_modules', '.bin', 'turbo')
  const args = ['run', 'build', '--filter=@keygate/demo...', '--output-logs=errors-only']
  const child = spawn(turbo, args, {
    cwd: ROOT,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', TURBO_TELEMETRY_DISABLED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let log = ''
  child.stdout!.on('data', (chunk) => {
    log += chunk
  })
  child.stderr!.on('data', (chunk) => {
    log += chunk
  })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  if (code !== 0) throw new Error(`building apps/demo failed:\n${log.slice(-4000)}`)
}

describe.skipIf(missing)('apps/demo in headless Chromium', () => {
  let demo: ChildProcess
  let output = ''
  let pageUrl = ''
  let browser: BrowserContext
  let page: Page
  /** Every URL the page requested, and what the browser refused under the page's CSP. */
  const requested: string[] = []
  const refused: string[] = []
  const dataDir = mkdtempSync(join(tmpdir(), 'keygate-demo-'))
  const profile = mkdtempSync(join(tmpdir(), 'keygate-demo-chromium-'))

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    await buildDemo()
    demo = spawn(process.execPath, [join(APP, 'src', 'start.mjs')], {
      env: { ...process.env, DEMO_PORT: '0', DEMO_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    demo.stdout!.on('data', (chunk) => {
      output += chunk
    })
    demo.stderr!.on('data', (chunk) => {
      output += chunk
    })
    await until(
      async () => /Page\s+http:\/\/127\.0\.0\.1:\d+/.test(output) || demo.exitCode !== null,
      'the demo',
    )
    pageUrl = /Page\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? ''
    expect(pageUrl, output).not.toBe('')
    // A fresh profile directory per run: nothing from an earlier run (cookies, cache) leaks in.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    page = browser.pages()[0] ?? (await browser.newPage())
    page.on('request', (request) => requested.push(request.url()))
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) {
        refused.push(message.text())
      }
    })
  }, 300_000) // a `next build` when the build is stale, on a busy 2-core machine

  afterAll(async () => {
    await browser?.close()
    // When a test failed or was filtered out (-t) before the SIGINT test, the demo still runs.
    if (demo && demo.exitCode === null && demo.signalCode === null) {
      const exited = new Promise((resolve) => demo.once('exit', resolve))
      demo.kill('SIGTERM')
      await exited
    }
    rmSync(profile, { recursive: true, force: true })
    rmSync(dataDir, { recursive: true, force: true })
  })

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
  const text = async (testId: string) => (await page.getByTestId(testId).textContent()) ?? ''
  const status = async (testId: string) => page.getByTestId(testId).getAttribute('data-status')
  const signIn = async () => {
    await page.click('#sign-in')
    await page.getByTestId('signed-in').waitFor()
    return {
      header: JSON.parse(await text('header')) as { alg: string; kid: string; typ: string },
      claims: JSON.parse(await text('claims')) as { sub: string; iss: string; exp: number },
    }
  }
  /** Clicks a call button and returns the answer's status, challenge and body as shown. */
  const call = async (api: string, mode: 'with' | 'without' | 'missing-permission') => {
    await page.evaluate(() => {
      document.getElementById('answer')!.removeAttribute('data-status')
    })
    await page.click(`#call-${api}-${mode}`)
    await page.waitForSelector('#answer[data-status]')
    const shown = await text('answer')
    return { status: Number(await status('answer')), shown }
  }

  it('signs in as a service, calls each API three ways, rotates the key, watches refreshes, revokes', async () => {
    // The page comes from the Next.js app, with its policy: this origin only.
    const served = await page.goto(pageUrl)
    expect(served?.status()).toBe(200)
    expect(served?.headers()['content-security-policy']).toContain("default-src 'self'")
    await page.waitForFunction(() =>
      (document.getElementById('key') as HTMLInputElement).value.startsWith('kg_'),
    )
    await shot('01-loaded')

    // Keyboard: the sign-in button is reachable with Tab from the key field and works with Enter.
    await page.focus('#key')
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('sign-in')
    await page.keyboard.press('Enter')
    await page.getByTestId('signed-in').waitFor()
    const first = {
      header: JSON.parse(await text('header')),
      claims: JSON.parse(await text('claims')),
    }
    expect(first.header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' })
    expect(first.claims.sub).toBe('svc-demo')
    await shot('02-signed-in')

    for (const api of APIS) {
      const ok = await call(api, 'with')
      expect(ok.status).toBe(200)
      expect(ok.shown).toContain(`"framework": "${api}"`)
      const without = await call(api, 'without')
      expect(without.status).toBe(401)
      expect(without.shown).toContain('WWW-Authenticate: Bearer')
      const forbidden = await call(api, 'missing-permission')
      expect(forbidden.status).toBe(403)
      expect(forbidden.shown).toContain('error="insufficient_scope"')
    }
    await shot('03-calls')

    // Rotation: a new kid signs at once; every API verifies it (after its 2 s kid-miss cooldown).
    await page.click('#rotate')
    await page.waitForSelector('#keys[data-status]')
    expect(await status('keys')).toBe('200')
    expect(await text('keys')).toContain(first.header.kid)
    const second = await signIn()
    expect(second.header.kid).not.toBe(first.header.kid)
    for (const api of APIS) {
      await until(async () => (await call(api, 'with')).status === 200, `${api} to accept the new kid`)
    }
    await shot('04-rotated')

    // The client loop refreshes its 20 s token on its own.
    await until(
      async () => (await text('activity')).includes('client: refreshed'),
      'a client refresh',
      90_000,
    )
    await shot('05-refreshed')

    // Revocation: no new token for the key; the client's next refresh fails and its calls stop.
    await page.click('#revoke')
    await until(async () => (await status('keys')) === '204', 'the revocation')
    await page.click('#sign-in')
    await page.getByTestId('sign-in-failed').waitFor()
    await until(
      async () => /client: (refresh_rejected|failed)/.test(await text('activity')),
      'the client to fail after the revocation',
      90_000,
    )
    await shot('06-revoked')
  }, 240_000)

  it('signs in as the demo user: token in memory, refresh token in an HttpOnly cookie, trusted by every API', async () => {
    await page.click('#user-sign-in')
    await until(async () => (await status('session')) !== null, 'the sign-in')
    expect(await status('session')).toBe('200')
    const claims = JSON.parse(await text('claims'))
    expect(claims).toMatchObject({ sub: 'user-demo', iss: pageUrl, aud: 'urn:keygate-demo:orders' })
    const cookies = await browser.cookies(`${pageUrl}/auth/session/refresh`)
    const refresh = cookies.find((cookie) => cookie.path === '/auth/session')
    expect(refresh?.httpOnly).toBe(true)
    expect(refresh?.sameSite).toBe('Strict')
    // Scripts never see it.
    expect(await page.evaluate(() => document.cookie)).not.toContain(refresh!.value)
    // The second trusted issuer: every API accepts the user's token, and it has orders:write.
    for (const api of APIS) {
      expect((await call(api, 'with')).status).toBe(200)
      expect((await call(api, 'missing-permission')).status).toBe(201)
    }
    await shot('07-user')

    await page.click('#user-refresh')
    await until(
      async () => (await page.getByTestId('session').getAttribute('data-refreshed')) !== null,
      'a refresh',
    )
    expect(await status('session')).toBe('200')
    await page.click('#user-logout')
    await until(async () => (await status('session')) === '204', 'the sign-out')
    await page.click('#user-refresh')
    await until(async () => !['200', '204'].includes((await status('session')) ?? ''), 'the refused refresh')
    expect(Number(await status('session'))).toBeGreaterThanOrEqual(400)
    await shot('08-signed-out')
  }, 120_000)

  it('loads nothing from outside its origin and breaks none of its policy', () => {
    expect(requested.length).toBeGreaterThan(0)
    expect(requested.filter((url) => !url.startsWith(`${pageUrl}/`))).toEqual([])
    expect(refused).toEqual([])
  })

  it('stops every process cleanly on SIGINT', async () => {
    const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)))
    demo.kill('SIGINT')
    expect(await exited).toBe(0)
    expect(output).toContain('stopped')
    // The Next.js app ran in that process: its port is closed now.
    await expect(fetch(pageUrl)).rejects.toThrow()
  }, 60_000)
})
