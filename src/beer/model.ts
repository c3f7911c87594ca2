import type { StyleFamily } from './corpus.ts'

export type Corpus = {
  readonly adjectives: readonly string[]
  readonly nouns: readonly string[]
  readonly families: readonly StyleFamily[]
}

export const ADJECTIVE = 0
export const NOUN = 1
export const FLAVOUR = 2
export type Slot = typeof ADJECTIVE | typeof NOUN | typeof FLAVOUR

/*
 * A label word. `follow[ADJECTIVE]` and `follow[NOUN]` hold the words seen right
 * after it in the examples that can fill those slots; `follow[FLAVOUR + i]`
 * those that are flavours of family i, so a learned pair never puts a stout
 * flavour on a pilsner.
 */
export type Word = { readonly text: string; readonly spaced: string; readonly follow: readonly (readonly Word[])[] }

/*
 * A style ending with the head patterns that fit before it, repeated by weight
 * so that picking one is a single uniform draw.
 */
export type Ending = {
  readonly text: string
  readonly words: readonly string[]
  readonly heads: readonly (readonly Slot[])[]
}

export type Family = {
  readonly style: string
  readonly index: number
  readonly endings: readonly Ending[]
  readonly flavours: readonly Word[]
}

export type BeerModel = {
  readonly families: readonly Family[]
  readonly adjectives: readonly Word[]
  readonly nouns: readonly Word[]
}

export const MAX_WORDS = 5

/*
 * Head patterns the grammar allows even if no example shows them; examples add
 * their own patterns and outweigh these, so the output sounds like the corpus
 * while still reaching every combination.
 */
const GRAMMAR: readonly (readonly Slot[])[] = [
  [ADJECTIVE, NOUN],
  [ADJECTIVE, FLAVOUR],
  [NOUN, FLAVOUR],
  [ADJECTIVE, NOUN, FLAVOUR],
  [ADJECTIVE, ADJECTIVE, NOUN],
  [ADJECTIVE],
  [NOUN],
]
const GRAMMAR_WEIGHT = 1
const EXAMPLE_WEIGHT = 3
// Most real labels end with the plain style name ("Stout", not "Dry Stout").
const PLAIN_ENDING_WEIGHT = 3

const TITLE_WORD = /^[A-Z][A-Za-z]*$/

type MutableWord = { text: string; spaced: string; follow: Word[][] }

/**
 * Trains the name model: tags each example's head words as adjective, noun or
 * flavour, weighs the head patterns by how often the examples use them, and
 * records which word follows which (a word-level Markov chain of order one).
 * Example words found in no list are learned as nouns. Throws on a corpus
 * that could yield a name that is not 2 to 5 title-case ASCII words.
 */
export function trainBeerModel(corpus: Corpus): BeerModel {
  const slotCount = FLAVOUR + corpus.families.length
  const vocabulary = new Map<string, MutableWord>()
  const intern = (text: string): MutableWord => {
    if (!TITLE_WORD.test(text)) throw new Error(`beer corpus: "${text}" is not one title-case ASCII word`)
    let word = vocabulary.get(text)
    if (!word) {
      word = { text, spaced: `${text} `, follow: Array.from({ length: slotCount }, () => []) }
      vocabulary.set(text, word)
    }
    return word
  }

  const adjectives = corpus.adjectives.map(intern)
  const nouns = corpus.nouns.map(intern)
  const isAdjective = new Set(corpus.adjectives)
  const isNoun = new Set(corpus.nouns)
  const isFlavour = corpus.families.map((family) => new Set(family.flavours))
  const flavours = corpus.families.map((family) => family.flavours.map(intern))
  for (const family of corpus.families) for (const ending of family.endings) ending.split(' ').forEach(intern)

  const patterns = new Map<string, { slots: readonly Slot[]; weight: number }>()
  const weigh = (slots: readonly Slot[], weight: number) => {
    const key = slots.join()
    const seen = patterns.get(key)
    if (seen) seen.weight += weight
    else patterns.set(key, { slots, weight })
  }
  for (const slots of GRAMMAR) weigh(slots, GRAMMAR_WEIGHT)

  corpus.families.forEach((family, index) => {
    for (const example of family.examples) {
      const ending = family.endings
        .filter((text) => example.endsWith(` ${text}`))
        .reduce<string | undefined>(
          (longest, text) => (text.length > (longest?.length ?? 0) ? text : longest),
          undefined,
        )
      if (!ending) throw new Error(`beer corpus: "${example}" does not end like a ${family.style}`)
      const head = example.slice(0, -ending.length - 1).split(' ')
      if (head.length + ending.split(' ').length > MAX_WORDS) throw new Error(`beer corpus: "${example}" is too long`)

      const slots = head.map((text): Slot => {
        intern(text)
        if (isFlavour[index]!.has(text)) return FLAVOUR
        if (isAdjective.has(text)) return ADJECTIVE
        if (!isNoun.has(text)) {
          isNoun.add(text)
          nouns.push(intern(text))
        }
        return NOUN
      })
      weigh(slots, EXAMPLE_WEIGHT)

      for (let i = 0; i + 1 < head.length; i++) {
        const word = intern(head[i]!)
        const next = intern(head[i + 1]!)
        if (isAdjective.has(next.text)) word.follow[ADJECTIVE]!.push(next)
        if (isNoun.has(next.text)) word.follow[NOUN]!.push(next)
        isFlavour.forEach((set, family) => {
          if (set.has(next.text)) word.follow[FLAVOUR + family]!.push(next)
        })
      }
    }
  })

  const headsByRoom = Array.from({ length: MAX_WORDS }, (_, room) =>
    [...patterns.values()]
      .filter(({ slots }) => slots.length <= room)
      .flatMap(({ slots, weight }) => Array<readonly Slot[]>(weight).fill(slots)),
  )

  const families = corpus.families.map((family, index): Family => {
    if (!/^[A-Z][A-Za-z]*( [A-Z][A-Za-z]*)*$/.test(family.style))
      throw new Error(`beer corpus: bad style "${family.style}"`)
    const endings = family.endings.flatMap((text, position): Ending[] => {
      const words = text.split(' ')
      const heads = headsByRoom[MAX_WORDS - words.length] ?? []
      if (heads.length === 0) throw new Error(`beer corpus: ending "${text}" leaves no room for a name`)
      const ending: Ending = { text, words, heads }
      return Array<Ending>(position === 0 ? PLAIN_ENDING_WEIGHT : 1).fill(ending)
    })
    const familyFlavours = flavours[index]!
    if (endings.length === 0 || familyFlavours.length === 0)
      throw new Error(`beer corpus: ${family.style} needs endings and flavours`)
    return { style: family.style, index, endings, flavours: familyFlavours }
  })

  return { families, adjectives, nouns }
}
