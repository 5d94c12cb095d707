import { afterAll, beforeAll } from 'vitest'
import { tempDir } from './harness.js'
import { routeSuite } from './route-suite.js'

let dir: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => {
  dir = await tempDir()
})
afterAll(() => dir?.remove())

routeSuite('PGlite', () => ({ dataDir: dir.path }))
