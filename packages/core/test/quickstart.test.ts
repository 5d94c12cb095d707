import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

// The README's demo command runs this script (after building core): it must keep working.
const SCRIPT = fileURLToPath(new URL('../../../examples/core-quickstart.mjs', import.meta.url))

it('the core quickstart runs end to end on 127.0.0.1 with the expected answers', async () => {
  const output = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [SCRIPT], { timeout: 60_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    )
  })
  const lines = output.split('\n')
  const status = (step: string) => lines.find((line) => line.startsWith(step))?.match(/→ (\d{3})/)?.[1]
  expect(status('2. POST /token')).toBe('200')
  expect(status('3. GET /orders with the token')).toBe('200')
  expect(status('4. GET /orders without a token')).toBe('401')
  expect(status('5. GET /orders with a tampered token')).toBe('401')
  expect(status('6. GET /orders with a token down-scoped')).toBe('403')
  expect(status('7. POST /token (refresh_token)')).toBe('200')
  expect(status('8. POST /token (refresh_token without the key)')).toBe('401')
  // Keys are shown truncated, never whole.
  expect(output).not.toMatch(/kg_[0-9A-Za-z]{16}_[0-9A-Za-z]{49}/)
})
