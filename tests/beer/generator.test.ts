import { describe, expect, test } from 'bun:test'
import { STYLE_FAMILIES } from '../../src/beer/corpus.ts'
import { BEER_STYLES, type Beer, createBeerGenerator } from '../../src/beer/generator.ts'
import { ADJECTIVE, type Corpus, FLAVOUR, NOUN, trainBeerModel } from '../../src/beer/model.ts'

// mulberry32: a tiny seeded PRNG, so runs repeat exactly.
function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pour = (generate: () => Beer, count: number) => Array.from({ length: count }, generate)

const NAME = /^[A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*){1,4}$/

function expectWellFormed(beer: Beer) {
  expect(beer.name).toMatch(NAME)
  const family = STYLE_FAMILIES.find((f) => f.style === beer.style)
  expect(family).toBeDefined()
  expect(family!.endings.some((ending) => beer.name.endsWith(` ${ending}`))).toBe(true)
  const words = beer.name.split(' ')
  expect(new Set(words).size).toBe(words.length)
}

describe('createBeerGenerator', () => {
  test('the style families are the real ones', () => {
    for (const style of [
      'IPA',
      'Pale Ale',
      'Stout',
      'Porter',
      'Saison',
      'Pilsner',
      'Lager',
      'Wheat Beer',
      'Sour',
      'Amber Ale',
      'Brown Ale',
      'Barleywine',
      'Belgian Dubbel',
      'Belgian Tripel',
    ]) {
      expect(BEER_STYLES).toContain(style)
    }
  })

  test('50 pours give at least 40 distinct names', () => {
    const names = new Set(pour(createBeerGenerator(), 50).map((beer) => beer.name))
    expect(names.size).toBeGreaterThanOrEqual(40)
  })

  test('1000 seeded pours give at least 950 distinct names and reach every style', () => {
    const beers = pour(createBeerGenerator({ random: seeded(7) }), 1000)
    expect(new Set(beers.map((beer) => beer.name)).size).toBeGreaterThanOrEqual(950)
    expect(new Set(beers.map((beer) => beer.style))).toEqual(new Set(BEER_STYLES))
  })

  test('every name is 2 to 5 title-case ASCII words, ends like its style and repeats no word', () => {
    for (const beer of pour(createBeerGenerator({ random: seeded(42) }), 5000)) expectWellFormed(beer)
  })

  test('the same seed pours the same beers; another seed pours others', () => {
    const first = pour(createBeerGenerator({ random: seeded(123) }), 100)
    const again = pour(createBeerGenerator({ random: seeded(123) }), 100)
    const other = pour(createBeerGenerator({ random: seeded(124) }), 100)
    expect(again).toEqual(first)
    expect(other).not.toEqual(first)
  })

  test('a random at the edges of [0, 1], even exactly 1, still pours well-formed beers', () => {
    for (const value of [0, 0.5, 0.999999999, 1]) {
      for (const beer of pour(createBeerGenerator({ random: () => value }), 5)) expectWellFormed(beer)
    }
  })
})

describe('trainBeerModel', () => {
  const corpus: Corpus = {
    adjectives: ['Honey', 'Lazy'],
    nouns: ['Dog', 'Otter'],
    families: [
      {
        style: 'Stout',
        endings: ['Stout', 'Milk Stout'],
        flavours: ['Chocolate', 'Coffee'],
        examples: ['Honey Dog Chocolate Stout', 'Lazy Raccoon Milk Stout'],
      },
      { style: 'Porter', endings: ['Porter'], flavours: ['Toffee'], examples: ['Honey Toffee Porter'] },
    ],
  }

  test('learns which word follows which, per slot and per family', () => {
    const model = trainBeerModel(corpus)
    const honey = model.adjectives.find((word) => word.text === 'Honey')!
    expect(honey.follow[NOUN]!.map((word) => word.text)).toEqual(['Dog'])
    expect(honey.follow[FLAVOUR + 1]!.map((word) => word.text)).toEqual(['Toffee'])
    expect(honey.follow[FLAVOUR]).toEqual([])
    const dog = model.nouns.find((word) => word.text === 'Dog')!
    expect(dog.follow[FLAVOUR]!.map((word) => word.text)).toEqual(['Chocolate'])
    expect(dog.follow[ADJECTIVE]).toEqual([])
  })

  test('learns words found only in examples as nouns', () => {
    const model = trainBeerModel(corpus)
    expect(model.nouns.map((word) => word.text)).toEqual(['Dog', 'Otter', 'Raccoon'])
  })

  test('weighs head patterns by the examples and keeps them within five words', () => {
    const stout = trainBeerModel(corpus).families[0]!
    const plain = stout.endings.find((ending) => ending.text === 'Stout')!
    const milk = stout.endings.find((ending) => ending.text === 'Milk Stout')!
    const count = (heads: readonly (readonly number[])[], pattern: number[]) =>
      heads.filter((head) => head.join() === pattern.join()).length
    expect(count(plain.heads, [ADJECTIVE, NOUN, FLAVOUR])).toBeGreaterThan(
      count(plain.heads, [ADJECTIVE, ADJECTIVE, NOUN]),
    )
    expect(count(plain.heads, [ADJECTIVE, FLAVOUR])).toBeGreaterThan(count(plain.heads, [NOUN, FLAVOUR]))
    expect(milk.heads.every((head) => head.length <= 3)).toBe(true)
    expect(stout.endings.filter((ending) => ending === plain).length).toBeGreaterThan(1)
  })

  test('refuses a corpus that would pour a malformed name', () => {
    const family = corpus.families[0]!
    const withFamily = (patch: Partial<typeof family>): Corpus => ({ ...corpus, families: [{ ...family, ...patch }] })
    expect(() => trainBeerModel(withFamily({ endings: ['Stout', 'Milk Stout', 'Märzen'] }))).toThrow('title-case ASCII')
    expect(() => trainBeerModel(withFamily({ flavours: ['dark roast'] }))).toThrow('title-case ASCII')
    expect(() => trainBeerModel(withFamily({ examples: ['Honey Dog Pale Ale'] }))).toThrow('does not end like a Stout')
    expect(() => trainBeerModel(withFamily({ examples: ['Lazy Honey Otter Dog Milk Stout'] }))).toThrow('too long')
  })

  test('the shipped corpus has at least four examples per family and no example repeats', () => {
    const examples = STYLE_FAMILIES.flatMap((family) => family.examples)
    expect(new Set(examples).size).toBe(examples.length)
    for (const family of STYLE_FAMILIES) expect(family.examples.length).toBeGreaterThanOrEqual(4)
  })
})
