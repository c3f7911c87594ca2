import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

type CallFrame = { functionName: string; url: string; lineNumber: number }
type CpuProfile = { nodes: { id: number; callFrame: CallFrame; children?: number[] }[]; samples: number[] }

export type ProfileEntry = { selfPercent: number; name: string; where: string }

export type ProfileSummary = {
  samples: number
  /** Self time by function, highest first. */
  functions: ProfileEntry[]
  /**
   * Self time by package (node_modules) or app file (src/); time in the
   * runtime (native code, node: modules) counts for the nearest caller that is
   * neither, e.g. a socket write for the library that wrote.
   */
  places: ProfileEntry[]
}

/** Where a frame's code lives, named so a reader can tell app code from libraries and the runtime. */
function placeOf(frameUrl: string, root: string): string {
  if (!frameUrl) return 'native code'
  const url = frameUrl.replace(/^file:\/\//, '')
  const nodeModules = url.lastIndexOf('/node_modules/')
  if (nodeModules >= 0) {
    const [scope, name] = url.slice(nodeModules + '/node_modules/'.length).split('/')
    return scope!.startsWith('@') ? `${scope}/${name}` : scope!
  }
  return url.startsWith('/') ? relative(root, url) : url
}

/**
 * Reads the one .cpuprofile that `bun --cpu-prof` wrote into `directory` and
 * sums its samples by function and by place (self time: where the CPU was,
 * not what called it).
 */
export function summarizeProfile(directory: string, root: string, top = 20): ProfileSummary {
  const file = readdirSync(directory).find((name) => name.endsWith('.cpuprofile'))
  if (!file) throw new Error(`no .cpuprofile in ${directory}`)
  const profile = JSON.parse(readFileSync(join(directory, file), 'utf8')) as CpuProfile
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
  const parents = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id)
  const isRuntime = (place: string) => place === 'native code' || /^(node|internal|bun):/.test(place)
  const ownerOf = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const place = placeOf(frames.get(at)!.url, root)
      if (!isRuntime(place)) return place === placeOf(frames.get(id)!.url, root) ? place : `runtime, for ${place}`
    }
    return 'runtime'
  }
  const byFunction = new Map<string, ProfileEntry>()
  const byPlace = new Map<string, number>()
  const share = 100 / profile.samples.length
  for (const id of profile.samples) {
    const frame = frames.get(id)!
    const place = placeOf(frame.url, root)
    const where = frame.url ? `${place}:${frame.lineNumber + 1}` : place
    const name = frame.functionName || '(anonymous)'
    const key = `${name} ${where}`
    const entry = byFunction.get(key) ?? { selfPercent: 0, name, where }
    entry.selfPercent += share
    byFunction.set(key, entry)
    const owner = ownerOf(id)
    byPlace.set(owner, (byPlace.get(owner) ?? 0) + share)
  }
  const highest = (a: ProfileEntry, b: ProfileEntry) => b.selfPercent - a.selfPercent
  return {
    samples: profile.samples.length,
    functions: [...byFunction.values()].sort(highest).slice(0, top),
    places: [...byPlace]
      .map(([where, selfPercent]) => ({ selfPercent, name: where, where }))
      .sort(highest)
      .slice(0, top),
  }
}
