/**
 * Core runs on edge runtimes, so its source may import only `jose` and its own files: no static
 * `node:*` import, no other package (DESIGN.md, "Core imports only jose and Web APIs").
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const SRC = join(import.meta.dirname, '../../src')

// TypeScript's own pre-parser: static imports, re-exports, side-effect imports and `import()`,
// without being fooled by strings or comments that look like imports.
function specifiers(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((file) => file.fileName)
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return /\.ts$/.test(entry.name) && !/\.test(-d)?\.ts$/.test(entry.name) ? [path] : []
  })
}

describe('core imports', () => {
  const files = sourceFiles(SRC)

  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(20)
    expect(files.some((f) => f.endsWith('verify/create-auth.ts'))).toBe(true)
  })

  it('imports nothing but jose (root or subpaths) and relative paths', () => {
    const offending: string[] = []
    for (const file of files) {
      const text = readFileSync(file, 'utf8')
      for (const specifier of specifiers(text)) {
        // jose's subpath exports (jose/key/import, …) are jose too: importing them instead of the
        // root keeps jose's compression code out of edge bundles (issue 11, Next 15's edge warning).
        const allowed =
          specifier.startsWith('./') ||
          specifier.startsWith('../') ||
          specifier === 'jose' ||
          specifier.startsWith('jose/')
        if (!allowed) offending.push(`${relative(SRC, file)}: ${specifier}`)
      }
    }
    expect(offending).toEqual([])
  })

  it('the scanner itself catches a node: import', () => {
    const sample = [
      "import { createHash } from 'node:crypto'",
      "export * from './x.js'",
      "const m = await import('node:fs')",
      "const s = 'import' // from 'nowhere'",
    ].join('\n')
    expect(specifiers(sample)).toEqual(['node:crypto', './x.js', 'node:fs'])
  })
})
