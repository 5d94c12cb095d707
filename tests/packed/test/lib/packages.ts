// The publishable packages (every packages/* without `"private": true`) and their READMEs' quick starts.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface Manifest {
  name: string
  version: string
  private?: boolean
  license?: string
  repository?: { type?: string; url?: string; directory?: string }
  homepage?: string
  bugs?: { url?: string }
  exports?: Record<string, string | { types?: string; default?: string }>
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
}

export interface Package {
  /** The folder under packages/. */
  dir: string
  path: string
  manifest: Manifest
  readme: string
  /** The npm-pack file name, e.g. keygate-core-0.1.0.tgz. */
  tarball: string
}

export async function publishablePackages(root: string): Promise<Package[]> {
  const found: Package[] = []
  for (const dir of (await readdir(join(root, 'packages'))).sort()) {
    const path = join(root, 'packages', dir)
    const manifest = JSON.parse(
      await readFile(join(path, 'package.json'), 'utf8').catch(() => 'null'),
    ) as Manifest | null
    if (!manifest || manifest.private) continue
    const readme = await readFile(join(path, 'README.md'), 'utf8').catch(() => '')
    const tarball = `${manifest.name.replace(/^@/, '').replace('/', '-')}-${manifest.version}.tgz`
    found.push({ dir, path, manifest, readme, tarball })
  }
  return found
}

/** Every import specifier a package's `exports` map offers (`package.json` left out). */
export function specifiers(pkg: Package): string[] {
  return Object.keys(pkg.manifest.exports ?? { '.': '' })
    .filter((key) => key !== './package.json' && !key.includes('*'))
    .map((key) => (key === '.' ? pkg.manifest.name : `${pkg.manifest.name}/${key.slice(2)}`))
}

/** The `@keygate/*` packages `pkg` needs, itself included. */
export function withInternalDependencies(pkg: Package, all: Package[]): Package[] {
  const byName = new Map(all.map((candidate) => [candidate.manifest.name, candidate]))
  const needed = new Map<string, Package>()
  const visit = (current: Package) => {
    if (needed.has(current.manifest.name)) return
    needed.set(current.manifest.name, current)
    for (const name of Object.keys(current.manifest.dependencies ?? {})) {
      const dependency = byName.get(name)
      if (dependency) visit(dependency)
    }
  }
  visit(pkg)
  return [...needed.values()]
}

/** A fenced code block of a README's quick start. */
export interface Block {
  lang: string
  /** From the block's first line, `// path/to/file.ext` (anything after the path is a comment). */
  file: string | undefined
  code: string
  /** Preceded by `<!-- packed-test: skip (reason) -->`. */
  skip: boolean
  /** Preceded by `<!-- packed-test: needs NAME -->`: runs only when the environment variable is set. */
  needs: string | undefined
}

const CODE_LANGS = new Set(['js', 'mjs', 'cjs', 'ts', 'tsx', 'jsx', 'javascript', 'typescript'])

/**
 * The JavaScript/TypeScript blocks of the README's `## Quick start` section (up to the next `## `
 * heading); `undefined` when the README has no such section. See tests/packed/README.md for the rule.
 */
export function quickStart(readme: string): Block[] | undefined {
  const match = readme.match(/^## Quick start\s*$([\s\S]*?)(?=^## |(?![\s\S]))/m)
  if (!match) return undefined
  const blocks: Block[] = []
  const fence = /(?:<!--\s*packed-test:\s*(skip|needs (\w+))[^>]*-->\s*)?^```(\w*)[^\n]*\n([\s\S]*?)^```/gm
  for (const [, marker, needs, lang = '', code = ''] of match[1]!.matchAll(fence)) {
    if (!CODE_LANGS.has(lang)) continue
    const file = code.match(/^\/\/\s*([\w@./[\]-]+\.(?:[cm]?[jt]sx?))(?:\s|$)/)?.[1]
    blocks.push({ lang, file, code, skip: marker === 'skip', needs })
  }
  return blocks
}

/** Package names from `npm install …` / `pnpm add …` / `yarn add …` in the README's Install and Quick start. */
export function installNames(readme: string): string[] {
  const sections = readme.match(/^## (?:Install|Quick start)\s*$[\s\S]*?(?=^## |(?![\s\S]))/gm) ?? []
  const names = new Set<string>()
  for (const section of sections) {
    for (const [, list = ''] of section.matchAll(
      /(?:npm install|npm i|pnpm add|yarn add)((?: +[^\s`]+)+)/g,
    )) {
      for (const name of list.trim().split(/ +/)) if (!name.startsWith('-')) names.add(name)
    }
  }
  return [...names]
}
