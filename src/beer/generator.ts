import { EXAMPLE_NAMES, OPENERS, STYLE_FAMILIES, type StyleFamily } from './corpus.ts'

export type Beer = { name: string; style: string }

type Chain = Map<string, string[]>

/**
 * Learns which opener follows which from the example names (a word-level
 * Markov chain of order one); openers never seen first fall back to the list.
 */
function trainOpeners(): Chain {
  const chain: Chain = new Map()
  const openers = new Set<string>(OPENERS)
  for (const name of EXAMPLE_NAMES) {
    const words = name.split(' ')
    for (let i = 0; i + 1 < words.length; i++) {
      const [word, next] = [words[i]!, words[i + 1]!]
      if (!openers.has(word) || !openers.has(next)) continue
      const followers = chain.get(word) ?? []
      followers.push(next)
      chain.set(word, followers)
    }
  }
  return chain
}

/**
 * Makes a generator of craft-beer names: "[Opener] [Opener?] [Flavour?] Ending",
 * the ending naming the style family. Trained once, then each call only picks.
 */
export function createBeerGenerator({ random = Math.random }: { random?: () => number } = {}): () => Beer {
  const chain = trainOpeners()
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!

  return function generateBeer(): Beer {
    const family: StyleFamily = pick(STYLE_FAMILIES)
    const first = pick(OPENERS)
    const followers = chain.get(first)
    const words: string[] = [first]
    const roll = random()
    if (followers && roll < 0.5) words.push(pick(followers))
    else if (roll < 0.7) {
      const second = pick(OPENERS)
      if (second !== first) words.push(second)
    }
    if (random() < 0.75) words.push(pick(family.flavours))
    words.push(pick(family.endings))
    return { name: words.join(' '), style: family.style }
  }
}
