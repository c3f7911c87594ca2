import { ADJECTIVES, NOUNS, STYLE_FAMILIES } from './corpus.ts'
import { type Ending, FLAVOUR, NOUN, trainBeerModel, type Word } from './model.ts'

export type Beer = { name: string; style: string }

const MODEL = trainBeerModel({ adjectives: ADJECTIVES, nouns: NOUNS, families: STYLE_FAMILIES })

export const BEER_STYLES: readonly string[] = MODEL.families.map((family) => family.style)

/*
 * How often a word is drawn from those that followed the previous word in the
 * examples instead of from its whole list: high enough that learned pairs
 * ("Honey Dog") recur, low enough not to cost variety.
 */
const FOLLOW_CHANCE = 0.3

/*
 * The first word of `words`, from `start` on, that is neither already in the
 * name nor part of the ending, so no name says "Summer Summer Ale".
 */
function fresh(words: readonly Word[], start: number, chosen: readonly Word[], ending: Ending): Word | undefined {
  for (let step = 0; step < words.length; step++) {
    const word = words[(start + step) % words.length]!
    if (!chosen.includes(word) && !ending.words.includes(word.text)) return word
  }
  return undefined
}

/**
 * Makes a craft-beer name generator over the model trained at startup: each
 * call picks a style family, one of its endings, a weighted head pattern that
 * fits in five words, then fills the pattern word by word. `random` must
 * return numbers in [0, 1), like Math.random (the default).
 */
export function createBeerGenerator(options: { random?: () => number } = {}): () => Beer {
  const random = options.random ?? Math.random
  const { families, adjectives, nouns } = MODEL
  const draw = (count: number) => Math.min(count - 1, Math.floor(random() * count))
  const chosen: Word[] = []

  return function pourBeer(): Beer {
    const family = families[draw(families.length)]!
    const ending = family.endings[draw(family.endings.length)]!
    const head = ending.heads[draw(ending.heads.length)]!
    chosen.length = 0
    let name = ''
    let previous: Word | undefined
    for (const slot of head) {
      const pool = slot === FLAVOUR ? family.flavours : slot === NOUN ? nouns : adjectives
      let word: Word | undefined
      if (previous && random() < FOLLOW_CHANCE) {
        const followers = previous.follow[slot === FLAVOUR ? FLAVOUR + family.index : slot]!
        if (followers.length > 0) word = fresh(followers, draw(followers.length), chosen, ending)
      }
      if (!word) {
        const start = draw(pool.length)
        word = fresh(pool, start, chosen, ending) ?? pool[start]!
      }
      chosen.push(word)
      name += word.spaced
      previous = word
    }
    return { name: name + ending.text, style: family.style }
  }
}
