// Edge bundle size of a minimal middleware.ts using @keygate/next (target ≤ 60 kB gzip).
// Bundles the entries below as Next.js does for the edge runtime (esm, minified, edge-light /
// worker / browser conditions, no Node built-ins) and prints raw and gzip sizes.
// Run: pnpm bench:next-bundle (builds core and next first).
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const dist = (file) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url))
const TARGET_GZIP_BYTES = 60 * 1000

const entries = {
  'middleware.ts via @keygate/next/middleware': `
    import { createMiddleware } from ${JSON.stringify(dist('middleware.js'))}
    export const middleware = createMiddleware({
      authOptions: { issuer: 'https://login.example.com/', audience: 'api://orders' },
      publicRoutes: ['/', '/health'],
    })`,
  'middleware.ts via authenticate (@keygate/next/middleware)': `
    import { authenticate } from ${JSON.stringify(dist('middleware.js'))}
    export const middleware = authenticate(
      { issuer: 'https://login.example.com/', audience: 'api://orders' },
      { publicRoutes: ['/', '/health'] },
    )`,
  'middleware.ts via createKeygate (@keygate/next)': `
    import { createKeygate } from ${JSON.stringify(dist('index.js'))}
    export const { middleware } = createKeygate({
      authOptions: { issuer: 'https://login.example.com/', audience: 'api://orders' },
      publicRoutes: ['/', '/health'],
    })`,
}

async function measure(contents, externalNext) {
  const result = await build({
    stdin: { contents, resolveDir: fileURLToPath(new URL('.', import.meta.url)), loader: 'js' },
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['edge-light', 'worker', 'browser', 'import', 'default'],
    mainFields: ['module', 'main'],
    // Edge code has no Node built-ins: a static node:* import would fail the build here.
    external: externalNext ? ['next', 'next/*'] : [],
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'error',
  })
  const bytes = result.outputFiles[0].contents
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length }
}

const kB = (n) => `${(n / 1000).toFixed(1)} kB`
let worst = 0
for (const [name, contents] of Object.entries(entries)) {
  const own = await measure(contents, true)
  worst = Math.max(worst, own.gzip)
  console.log(`${name}\n  Keygate + core + jose (next/* external): ${kB(own.raw)} raw, ${kB(own.gzip)} gzip`)
  try {
    const all = await measure(contents, false)
    console.log(`  including next/server as bundled here:   ${kB(all.raw)} raw, ${kB(all.gzip)} gzip`)
  } catch (error) {
    console.log(`  including next/server: not measurable with esbuild (${error.message.split('\n')[0]})`)
  }
}
console.log(
  `target ≤ ${kB(TARGET_GZIP_BYTES)} gzip for Keygate's share: ${worst <= TARGET_GZIP_BYTES ? 'met' : 'MISSED'}`,
)
