import type { Beer } from '../../beer/generator.ts'

/** The poured beer, or the original's error line when none could be made. */
export function BeerResult({ beer }: { beer: Beer | null | 'error' }) {
  if (beer === 'error') return <p class="beer-error">Error, please try again</p>
  if (!beer) return null
  return (
    <>
      <p class="beer-name">{beer.name}</p>
      {/* The parentheses are drawn by CSS, so .beer-style holds the style alone. */}
      <p class="beer-style">{beer.style}</p>
    </>
  )
}
