/**
 * The development-mode encryption secret: generated once and kept in the data directory, so
 * signing keys sealed by one run open in the next. Production takes it from the environment
 * instead (KEYGATE_KEY_ENCRYPTION_SECRET) — a secret next to the data it protects only suits a
 * developer's machine.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigurationError } from '@keygate/core'

/** File name of the generated secret inside `KEYGATE_DATA_DIR`. */
export const DEV_SECRET_FILE = 'encryption-secret'

/**
 * Reads the secret from `<dataDir>/encryption-secret`, creating it (mode 0600, 32 random bytes)
 * when absent. Two processes starting at once agree: the file is created exclusively and the
 * loser reads the winner's.
 *
 * @example
 * const secret = await loadDevelopmentSecret('./.keygate')
 */
export async function loadDevelopmentSecret(dataDir: string): Promise<string> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const path = join(dataDir, DEV_SECRET_FILE)
  const secret = randomBytes(32).toString('base64url')
  try {
    await writeFile(path, `${secret}\n`, { flag: 'wx', mode: 0o600 })
    return secret
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  const stored = (await readFile(path, 'utf8')).trim()
  if (stored.length < 32)
    throw new ConfigurationError(`${path} does not hold a secret of at least 32 characters`)
  return stored
}
