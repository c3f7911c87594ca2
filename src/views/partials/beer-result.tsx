import type { Beer } from '../../beer/generator.ts'

/** The poured beer, the original's error line when none could be made, or where the first beer will appear. */
export function BeerResult({ beer }: { beer: Beer | null | 'error' }) {
  if (beer === 'error') return <p class="beer-error">Error, please try again</p>
  if (!beer) return <p class="beer-placeholder">Your beer will appear here.</p>
  return (
    <>
      <p class="beer-name">{beer.name}</p>
      {/* The parentheses are drawn by CSS, so .beer-style holds the style alone. */}
      <p class="beer-style">{beer.style}</p>
    </>
  )
}

/** "a" or "an" before a style, by its first letter ("an IPA", "a saison"). */
export function articleFor(style: string): 'a' | 'an' {
  return /^[aeiou]/i.test(style) ? 'an' : 'a'
}

/**
 * What a pour says to a screen reader, once: the beer and the count, not the
 * whole re-rendered panel. `article` is the style's, when the caller already
 * knows it (a view template fills the style in later, see routes/home.tsx).
 */
export function pourStatusText(beer: Beer | 'error' | null, beers: number, article?: 'a' | 'an'): string {
  if (beer === null) return ''
  if (beer === 'error') return 'Could not pour a beer. Please try again.'
  return `Poured: ${beer.name}, ${article ?? articleFor(beer.style)} ${beer.style}. ${beers} ${beers === 1 ? 'beer' : 'beers'} this session.`
}

/**
 * The polite status line a pour updates (out of band for htmx, its content
 * only: a live region replaced by a new element is often not announced).
 * Visually hidden: the beer and the panel already show the same to sighted readers.
 */
export function PourStatus({
  beer,
  beers,
  article,
  oob,
}: {
  beer: Beer | 'error' | null
  beers: number
  article?: 'a' | 'an'
  oob?: boolean
}) {
  return (
    <p id="pour-status" class="visually-hidden" role="status" {...(oob ? { 'hx-swap-oob': 'innerHTML' } : {})}>
      {pourStatusText(beer, beers, article)}
    </p>
  )
}
