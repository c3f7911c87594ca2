import { randomInt } from 'node:crypto'
import { escapeToBuffer } from 'hono/utils/html'

export type TemplateSpec<Props, Slot extends string> = {
  /** Names the view among all templated views (the property test finds them by it). */
  name: string
  /** Names the branches a view takes for these props; props of one shape differ only in their slots. */
  shape(props: Props): string
  /** The text each slot shows for these props, before HTML escaping. */
  slots(props: Props): Record<Slot, string>
  /** Props of the same shape as `like` whose slots show these texts (all digits, so they also fit number props). */
  withSlots(like: Props, slots: Record<Slot, string>): Props
  render(props: Props): string
}

type Compiled<Slot> = { parts: string[]; order: Slot[] } | 'render'

// biome-ignore lint/suspicious/noExplicitAny: a registry of specs over every props type
const specs = new Map<string, TemplateSpec<any, string>>()

/**
 * Every view that goes out through a template, by name: the property test
 * renders each with random props both ways, so a branch added to a component
 * without a matching change to its `shape` fails CI.
 */
// biome-ignore lint/suspicious/noExplicitAny: see specs
export function templatedViews(): ReadonlyMap<string, TemplateSpec<any, string>> {
  return specs
}

/**
 * Rendering a full page with hono/jsx costs tens of microseconds, more than the
 * rest of a request together; filling a template costs about one. A view
 * template renders a view once per shape with unique digit markers in its
 * slots, cuts the HTML at the markers, and afterwards fills the slots in by
 * concatenation, escaped exactly as hono/jsx escapes text and attributes. The
 * components stay the only source of markup: a shape's template is used only
 * after it reproduced a normal render of the request that first had that shape,
 * and a shape it does not reproduce is always rendered normally.
 */
export function viewTemplate<Props, Slot extends string>(spec: TemplateSpec<Props, Slot>): (props: Props) => string {
  if (specs.has(spec.name)) throw new Error(`two templated views are named ${spec.name}`)
  specs.set(spec.name, spec)
  return templateRenderer(spec)
}

/** The fast renderer of a spec, with a cache of its own (viewTemplate's, without the registry). */
export function templateRenderer<Props, Slot extends string>(
  spec: TemplateSpec<Props, Slot>,
): (props: Props) => string {
  const shapes = new Map<string, Compiled<Slot>>()
  return function renderView(props) {
    const shape = spec.shape(props)
    const compiled = shapes.get(shape)
    if (compiled === 'render') return spec.render(props)
    if (compiled) return fill(compiled, spec.slots(props))
    const html = spec.render(props)
    shapes.set(shape, compile(spec, props, html))
    return html
  }
}

function compile<Props, Slot extends string>(
  spec: TemplateSpec<Props, Slot>,
  like: Props,
  expected: string,
): Compiled<Slot> {
  const values = spec.slots(like)
  const names = Object.keys(values) as Slot[]
  const markers = new Map<string, Slot>()
  for (const name of names) markers.set(String(randomInt(1e9, 1e10)), name)
  let marked: string
  try {
    marked = spec.render(
      spec.withSlots(
        like,
        Object.fromEntries([...markers].map(([marker, name]) => [name, marker])) as Record<Slot, string>,
      ),
    )
  } catch {
    return 'render'
  }
  const pieces = marked.split(new RegExp(`(${[...markers.keys()].join('|')})`))
  const template = {
    parts: pieces.filter((_, i) => i % 2 === 0),
    order: pieces.filter((_, i) => i % 2 === 1).map((marker) => markers.get(marker)!),
  }
  return fill(template, values) === expected ? template : 'render'
}

function fill<Slot extends string>(
  { parts, order }: { parts: string[]; order: Slot[] },
  values: Record<Slot, string>,
): string {
  const buffer: [string] = [parts[0]!]
  for (let i = 0; i < order.length; i++) {
    escapeToBuffer(values[order[i]!], buffer)
    buffer[0] += parts[i + 1]!
  }
  return buffer[0]
}
