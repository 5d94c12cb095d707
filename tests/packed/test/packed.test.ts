// Keygate as a new user gets it: every publishable package packed (`pnpm pack`, as published),
// installed with npm into fresh apps outside the repository, typechecked under strict TypeScript
// with each supported `module` setting, imported from plain Node, built with `next build` on the
// oldest and newest Next.js majors of the peer range, and each README's quick start run as written.
// The rule for README blocks is in tests/packed/README.md. Needs built packages (`pnpm build`).
import { existsSync } from 'node:fs'
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type Block,
  installNames,
  type Package,
  publishablePackages,
  quickStart,
  specifiers,
  withInternalDependencies,
} from './lib/packages.js'
import { freePort, run, type Started, start, waitFor } from './lib/run.js'

// Part of every `pnpm test` (about 2 minutes on an idle 2-core machine); KEYGATE_PACKED_TEST=0
// leaves it out of a quick local run.
const ENABLED = process.env.KEYGATE_PACKED_TEST !== '0'
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url))
const REPOSITORY_URL = 'git+https://github.com/keygate/keygate.git'
// The Next.js majors of @keygate/next's peer range: the oldest and the newest are both built.
const NEXT_MAJORS = ['15', '16'] as const
// TypeScript settings we document as supported (see "Module formats and TypeScript" in each README).
// One program per setting; under nodenext, tc/esm is ES modules and tc/cjs CommonJS (their package.json).
const TS_SETTINGS = [
  { name: 'nodenext (ES module and CommonJS)', dirs: ['esm', 'cjs'], flags: ['--module', 'nodenext'] },
  { name: 'node16 (ES module)', dirs: ['esm'], flags: ['--module', 'node16'] },
  { name: 'bundler', dirs: ['esm'], flags: ['--module', 'esnext', '--moduleResolution', 'bundler'] },
]
const NPM_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  // One npm cache for every install: the machine's default one, so CI reuses it across runs.
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
  NEXT_TELEMETRY_DISABLED: '1',
}

let work: string
let packages: Package[]
let app: string // the Next.js 16 app, also home of the typecheck, plain-Node and quick-start checks
const apps = new Map<string, string>()
const builds = new Map<string, Promise<string>>()

beforeAll(async () => {
  if (!ENABLED) {
    console.warn('packed-package test skipped: KEYGATE_PACKED_TEST=0')
    return
  }
  packages = await publishablePackages(ROOT)
  for (const pkg of packages) {
    if (!existsSync(join(pkg.path, 'dist')))
      throw new Error(`${pkg.dir}/dist is missing: run \`pnpm build\` first`)
  }
  work = await mkdtemp(join(tmpdir(), 'keygate-packed-'))
  const tarballs = join(work, 'tarballs')
  await Promise.all(
    packages.map((pkg) => run('pnpm', ['pack', '--pack-destination', tarballs], { cwd: pkg.path })),
  )
  const typescript = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')).devDependencies.typescript
  const base = [`typescript@${typescript}`, '@types/node@20', 'react@19', 'react-dom@19', '@types/react@19']
  const extras = packages
    .flatMap((pkg) => installNames(pkg.readme))
    .filter((name) => !name.startsWith('@keygate/'))
  // TypeScript users of Express want its types (the Express README says so).
  if (packages.some((pkg) => pkg.manifest.peerDependencies?.express)) extras.push('@types/express')
  const next = packages.find((pkg) => pkg.manifest.peerDependencies?.next)
  await Promise.all(
    NEXT_MAJORS.map(async (major, index) => {
      const dir = join(work, `next${major}`)
      await mkdir(dir, { recursive: true })
      await writeFile(join(dir, 'package.json'), JSON.stringify({ name: `app-next${major}`, private: true }))
      // The newest major's app gets every package; the older one just what @keygate/next needs.
      const newest = index === NEXT_MAJORS.length - 1
      const ours = newest ? packages : next ? withInternalDependencies(next, packages) : []
      const specs = [
        ...ours.map((pkg) => join(tarballs, pkg.tarball)),
        `next@${major}`,
        ...base,
        ...(newest ? extras : []),
      ]
      await run(
        'npm',
        ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...specs],
        {
          cwd: dir,
          env: NPM_ENV,
        },
      )
      apps.set(major, dir)
    }),
  )
  app = apps.get(NEXT_MAJORS[NEXT_MAJORS.length - 1]!)!
  if (next) {
    // `next build` takes longest: start both now, the other checks run meanwhile.
    for (const major of NEXT_MAJORS) builds.set(major, buildNextApp(major, next))
    // Failures surface in their own test; keep an unawaited rejection from failing the run early.
    for (const build of builds.values()) build.catch(() => {})
  }
}, 600_000)

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true })
})

describe.skipIf(!ENABLED)('packed packages, installed with npm', () => {
  it('ship a LICENSE, their README, repository metadata, caret ranges and every exported file', async () => {
    expect(packages.length).toBeGreaterThan(0)
    for (const pkg of packages) {
      const tarball = join(work, 'tarballs', pkg.tarball)
      const files = (await run('tar', ['-tzf', tarball], { cwd: work })).output.split('\n').filter(Boolean)
      expect(files, pkg.dir).toContain('package/LICENSE')
      expect(files, pkg.dir).toContain('package/README.md')
      const manifest = JSON.parse(
        (await run('tar', ['-xzOf', tarball, 'package/package.json'], { cwd: work })).output,
      )
      expect(manifest.license, pkg.dir).toBe('MIT')
      expect(manifest.repository, pkg.dir).toEqual({
        type: 'git',
        url: REPOSITORY_URL,
        directory: `packages/${pkg.dir}`,
      })
      expect(manifest.homepage, pkg.dir).toMatch(/^https:\/\//)
      expect(manifest.bugs?.url, pkg.dir).toMatch(/^https:\/\//)
      for (const [name, range] of Object.entries<string>(manifest.dependencies ?? {})) {
        expect(range, `${pkg.dir} → ${name}`).not.toMatch(/^workspace:/)
        // Internal dependencies take a range, so an app can dedupe @keygate/core across packages.
        if (name.startsWith('@keygate/')) expect(range, `${pkg.dir} → ${name}`).toMatch(/^\^/)
      }
      for (const [key, target] of Object.entries(pkg.manifest.exports ?? {})) {
        if (typeof target === 'string') continue
        expect(target.types && target.default, `${pkg.dir} exports ${key}`).toBeTruthy()
        for (const file of [target.types, target.default])
          expect(files, pkg.dir).toContain(`package/${file!.slice(2)}`)
      }
      // The registry page has no repository around the README: relative links would 404 there.
      const links = [...pkg.readme.matchAll(/\]\(([^)\s]+)\)/g)].map(([, href]) => href!)
      expect(
        links.filter((href) => !/^(https?:|mailto:|#)/.test(href)),
        `${pkg.dir}/README.md`,
      ).toEqual([])
    }
  }, 600_000)

  it('import from plain Node, as ES modules and through require()', async () => {
    const all = packages.flatMap(specifiers)
    const script = [
      `const specifiers = ${JSON.stringify(all)}`,
      'for (const specifier of specifiers) {',
      '  const loaded = await import(specifier)',
      "  if (Object.keys(loaded).length === 0) throw new Error(specifier + ' exports nothing')",
      '  // CommonJS callers load the same module through require(esm) (Node.js >= 20.19).',
      "  if (Object.keys(require(specifier)).length === 0) throw new Error('require ' + specifier)",
      '}',
      "console.log('imported', specifiers.length)",
    ].join('\n')
    const file = join(app, 'imports.mjs')
    await writeFile(
      file,
      `import { createRequire } from 'node:module'\nconst require = createRequire(import.meta.url)\n${script}\n`,
    )
    const { output } = await run(process.execPath, [file], { cwd: app })
    expect(output).toContain(`imported ${all.length}`)
    // The oldest Next.js major too: @keygate/next must load beside it without a bundler.
    const oldest = apps.get(NEXT_MAJORS[0])!
    if (oldest !== app) {
      const next = packages.filter((pkg) => pkg.manifest.peerDependencies?.next).flatMap(specifiers)
      const check = `for (const s of ${JSON.stringify(next)}) await import(s)\nconsole.log('ok')\n`
      await writeFile(join(oldest, 'imports.mjs'), check)
      expect((await run(process.execPath, ['imports.mjs'], { cwd: oldest })).output).toContain('ok')
    }
  }, 600_000)

  it('typecheck under strict TypeScript with every supported module setting', async () => {
    const sources = new Map<string, string>()
    const all = packages.flatMap(specifiers)
    sources.set(
      'exports.ts',
      `${all.map((specifier, index) => `import * as m${index} from '${specifier}'`).join('\n')}\nexport const modules = [${all.map((_, index) => `m${index}`).join(', ')}]\n`,
    )
    for (const pkg of packages) {
      const typed = join(FIXTURES, 'typed', `${pkg.dir}.ts`)
      if (existsSync(typed)) sources.set(`typed-${pkg.dir}.ts`, await readFile(typed, 'utf8'))
      // Quick-start TypeScript of packages that are not Next.js apps (those are built below).
      if (pkg.manifest.peerDependencies?.next) continue
      for (const block of runnable(pkg).filter((block) => /\.tsx?$/.test(block.file!))) {
        sources.set(`readme-${pkg.dir}-${block.file!.replaceAll('/', '-')}`, block.code)
      }
    }
    for (const [dir, type] of [
      ['esm', 'module'],
      ['cjs', 'commonjs'],
    ] as const) {
      await mkdir(join(app, 'tc', dir), { recursive: true })
      await writeFile(join(app, 'tc', dir, 'package.json'), JSON.stringify({ type }))
      for (const [name, code] of sources) await writeFile(join(app, 'tc', dir, name), code)
    }
    const tsc = join(app, 'node_modules', 'typescript', 'bin', 'tsc')
    const failures: string[] = []
    for (const setting of TS_SETTINGS) {
      const files = setting.dirs.flatMap((dir) => [...sources.keys()].map((name) => join('tc', dir, name)))
      const common = ['--noEmit', '--pretty', 'false', '--strict', '--esModuleInterop', '--target', 'es2022']
      const args = [
        ...common,
        '--lib',
        'es2023,dom,dom.iterable',
        '--types',
        'node',
        '--skipLibCheck',
        'false',
      ]
      const { output } = await run(process.execPath, [tsc, ...args, ...setting.flags, ...files], {
        cwd: app,
        allowFailure: true,
      })
      // Only our files and our shipped .d.ts count: third-party declarations (next's) have their own errors.
      const ours = output
        .split(/\n(?=\S)/)
        .filter((diagnostic) => diagnostic.startsWith('tc/') || diagnostic.includes('node_modules/@keygate/'))
      if (ours.length > 0) failures.push(`${setting.name}:\n${ours.join('\n')}`)
    }
    expect(failures.join('\n\n')).toBe('')
  }, 600_000)

  it("run each README's quick start as written", async () => {
    for (const pkg of packages) {
      const blocks = quickStart(pkg.readme)
      expect(blocks, `${pkg.dir}/README.md has a "## Quick start" section`).toBeDefined()
      const unnamed = blocks!.filter((block) => !block.skip && block.file === undefined)
      expect(
        unnamed.map((block) => block.code.split('\n')[0]),
        `${pkg.dir}/README.md quick-start blocks need a "// file" first line or a skip marker`,
      ).toEqual([])
      if (pkg.manifest.peerDependencies?.next) continue // built by next build below
      for (const block of runnable(pkg).filter((block) => /\.[cm]?jsx?$/.test(block.file!))) {
        const dir = join(app, 'quick-start', pkg.dir)
        await mkdir(dirname(join(dir, block.file!)), { recursive: true })
        await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
        await writeFile(join(dir, block.file!), block.code)
        if (block.needs && !process.env[block.needs]) {
          console.warn(`packed: ${pkg.dir}'s ${block.file} not run: ${block.needs} is unset`)
          continue
        }
        await runQuickStart(pkg.dir, dir, block.file!)
      }
    }
    // The root README's per-framework quick starts (issue 16), by the same rule, against the same
    // packed packages: every block named and run, none silently skipped.
    const root = quickStart(await readFile(join(ROOT, 'README.md'), 'utf8'))
    expect(root, 'README.md has a "## Quick start" section').toBeDefined()
    expect(root!.filter((block) => !block.skip && block.file === undefined)).toEqual([])
    const dir = join(app, 'quick-start', 'root')
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
    const programs = root!.filter((block) => !block.skip && /\.[cm]?js$/.test(block.file ?? ''))
    expect(programs.map((block) => block.file)).toEqual(['express.mjs', 'fastify.mjs', 'hono.mjs'])
    for (const block of programs) {
      await writeFile(join(dir, block.file!), block.code)
      await runQuickStart('README.md', dir, block.file!)
    }
  }, 600_000)

  for (const major of NEXT_MAJORS) {
    it(`build an App Router app with next build on Next.js ${major}, strict TypeScript`, async () => {
      const build = builds.get(major)
      if (!build) return // no package has `next` as a peer
      const output = await build
      // Next.js 15 warns when an edge bundle reaches Node-only or unsupported Web APIs (jose's JWE).
      expect(output).not.toMatch(/CompressionStream|DecompressionStream|Edge Runtime/)
      if (major === NEXT_MAJORS[NEXT_MAJORS.length - 1]) await probeNextApp(join(apps.get(major)!, 'web'))
    }, 600_000)
  }
})

/** The quick-start blocks to write to disk: named and not skipped. */
function runnable(pkg: Package): Block[] {
  return (quickStart(pkg.readme) ?? []).filter((block) => !block.skip && block.file !== undefined)
}

/**
 * Runs a quick-start program with `PORT` set. A program that exits must exit 0; a server must print
 * its `curl -H "…" http://127.0.0.1:…` line, answer that request with 2xx and, without its
 * `Authorization`, answer 401 with a Bearer challenge.
 */
async function runQuickStart(name: string, dir: string, file: string): Promise<void> {
  const port = await freePort()
  const started = start(process.execPath, [file], dir, {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
  })
  try {
    const curl = await waitFor(started, /curl((?: -H "[^"]*")*) (http:\/\/127\.0\.0\.1:\d+\/\S*)/, 60_000)
    if (!curl) {
      expect(await started.exited, `${name}/${file}:\n${started.output()}`).toBe(0)
      return
    }
    const headers = Object.fromEntries(
      [...curl[1]!.matchAll(/-H "([^:"]+):\s*([^"]*)"/g)].map(([, header, value]) => [header!, value!]),
    )
    const url = curl[2]!
    const ok = await fetch(url, { headers })
    expect(ok.status, `${name}: ${url} with the printed token`).toBeLessThan(300)
    const anonymous = await fetch(url)
    expect(anonymous.status, `${name}: ${url} without a token`).toBe(401)
    expect(anonymous.headers.get('www-authenticate'), name).toMatch(/^Bearer/)
  } finally {
    await started.stop()
  }
}

/**
 * The Next.js app of one major: the fixture (create-next-app's strict tsconfig, a dynamic route,
 * getAuth, a server component) plus, on the newest major, the Next.js README's quick start
 * (its proxy.ts replaces the fixture's middleware.ts: Next.js 16 refuses both).
 */
async function buildNextApp(major: string, next: Package): Promise<string> {
  const dir = join(apps.get(major)!, 'web')
  await cp(join(FIXTURES, 'next-app'), dir, { recursive: true })
  if (major === NEXT_MAJORS[NEXT_MAJORS.length - 1]) {
    for (const block of runnable(next)) {
      await mkdir(dirname(join(dir, block.file!)), { recursive: true })
      await writeFile(join(dir, block.file!), block.code)
    }
    if (existsSync(join(dir, 'proxy.ts'))) await rm(join(dir, 'middleware.ts'))
  }
  await copyFile(join(FIXTURES, 'next-app', 'tsconfig.json'), join(dir, 'tsconfig.json'))
  const nextBin = join(apps.get(major)!, 'node_modules', 'next', 'dist', 'bin', 'next')
  const env = { ...NPM_ENV, NODE_ENV: 'production' }
  return (await run(process.execPath, [nextBin, 'build'], { cwd: dir, env, timeoutMs: 480_000 })).output
}

/** `next start` on the built quick start: /orders without a token is a 401 with a Bearer challenge. */
async function probeNextApp(dir: string): Promise<void> {
  const port = await freePort()
  const nextBin = join(dir, '..', 'node_modules', 'next', 'dist', 'bin', 'next')
  const env = {
    ...NPM_ENV,
    NODE_ENV: 'production',
    // Never contacted: a request without a token is refused before any key is needed.
    AUTH_ISSUER: 'http://127.0.0.1:9/',
    AUTH_AUDIENCE: 'api://orders',
  }
  const started: Started = start(
    process.execPath,
    [nextBin, 'start', '-p', String(port), '-H', '127.0.0.1'],
    dir,
    env,
  )
  try {
    expect(await waitFor(started, /Ready in/i, 60_000), started.output()).not.toBeNull()
    const response = await fetch(`http://127.0.0.1:${port}/orders`)
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/)
  } finally {
    await started.stop()
  }
}
