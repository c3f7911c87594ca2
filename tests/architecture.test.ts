import { describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

/*
 * Imports run one way: entry → app → routes → views | http → session | auth |
 * mail | beer → db | redis → foundations (env, log, paths, …). A lower layer
 * that needs something from a higher one takes it as a parameter. Modules of
 * one layer but different groups (views and http, session and auth) do not
 * import each other either, unless listed in SIDEWAYS. Type-only imports count:
 * they couple the code just the same.
 */
const LAYERS: { layer: number; group: string; files: RegExp }[] = [
  { layer: 0, group: 'entry', files: /^(server|server-node|boot|deps)\.ts$/ },
  { layer: 1, group: 'app', files: /^app\.ts$/ },
  { layer: 2, group: 'routes', files: /^routes\// },
  { layer: 3, group: 'views', files: /^views\// },
  { layer: 3, group: 'http', files: /^(http\/|app-env\.ts$)/ },
  { layer: 4, group: 'session', files: /^session\// },
  { layer: 4, group: 'auth', files: /^auth\// },
  { layer: 4, group: 'mail', files: /^mail\// },
  { layer: 4, group: 'recovery', files: /^recovery\// },
  { layer: 4, group: 'activity', files: /^activity\// },
  { layer: 4, group: 'beer', files: /^beer\// },
  { layer: 5, group: 'db', files: /^db\// },
  { layer: 5, group: 'redis', files: /^redis\// },
  {
    layer: 6,
    group: 'foundations',
    files: /^(env|log|log-output|lifecycle|paths|assets|ip|unavailable|audit|tracing-channel|fulfilled-within)\.ts$/,
  },
]

/** Same-layer edges between groups that are part of the design. */
const SIDEWAYS = new Set<string>([
  // Account recovery sends its links through the mail queue and keys its mail
  // budget by the same email pseudonym as the login throttle.
  'recovery → mail',
  'recovery → auth',
])

/** Edges that still run upward, each with the issue that removes it. */
const KNOWN_UPWARD = new Set<string>([])

const SRC = resolve(import.meta.dir, '../src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return /\.tsx?$/.test(entry.name) ? [relative(SRC, path)] : []
  })
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

/** Every edge from a file in src/ to another file in src/, by relative specifier. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(join(SRC, file), 'utf8')
    const targets: string[] = []
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2]!
      if (!specifier.startsWith('.')) continue
      targets.push(relative(SRC, resolve(dirname(join(SRC, file)), specifier)))
    }
    graph.set(file, targets)
  }
  return graph
}

function layerOf(file: string) {
  return LAYERS.find(({ files }) => files.test(file))
}

function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'visiting' | 'done'>()
  const stack: string[] = []
  const visit = (file: string): string[] | null => {
    if (state.get(file) === 'done') return null
    if (state.get(file) === 'visiting') return [...stack.slice(stack.indexOf(file)), file]
    state.set(file, 'visiting')
    stack.push(file)
    for (const target of graph.get(file) ?? []) {
      const cycle = visit(target)
      if (cycle) return cycle
    }
    stack.pop()
    state.set(file, 'done')
    return null
  }
  for (const file of graph.keys()) {
    const cycle = visit(file)
    if (cycle) return cycle
  }
  return null
}

describe('the import graph of src/', () => {
  const graph = importGraph()

  test('sees the whole tree (a parser that matched nothing would pass everything)', () => {
    expect(graph.size).toBeGreaterThan(40)
    expect(graph.get('app.ts')).toContain('routes/home.tsx')
    expect(graph.get('routes/home.tsx')).toContain('app-env.ts')
  })

  test('places every file in a layer', () => {
    const unplaced = [...graph.keys()].filter((file) => !layerOf(file))
    expect(unplaced, 'add these files to LAYERS in tests/architecture.test.ts').toEqual([])
  })

  test('has no edge running back up a layer or sideways between groups', () => {
    const wrong: string[] = []
    for (const [file, targets] of graph) {
      const from = layerOf(file)
      for (const target of targets) {
        const to = layerOf(target)
        if (!from || !to || from.group === to.group) continue
        const edge = `${file} → ${target}`
        if (KNOWN_UPWARD.has(edge)) continue
        if (to.layer < from.layer) wrong.push(`${edge} (${from.group} may not import ${to.group})`)
        else if (to.layer === from.layer && !SIDEWAYS.has(`${from.group} → ${to.group}`)) {
          wrong.push(`${edge} (${from.group} and ${to.group} are peers)`)
        }
      }
    }
    expect(wrong).toEqual([])
  })

  test('has no cycle', () => {
    expect(findCycle(graph)).toBeNull()
  })

  test('the checks catch what they are for', () => {
    const cyclic = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
    ])
    expect(findCycle(cyclic)).toEqual(['a.ts', 'b.ts', 'c.ts', 'a.ts'])
    expect(layerOf('session/store.ts')!.layer).toBeGreaterThan(layerOf('http/csrf.ts')!.layer)
    expect(layerOf('views/layout.tsx')!.group).not.toBe(layerOf('http/htmx.ts')!.group)
  })
})
