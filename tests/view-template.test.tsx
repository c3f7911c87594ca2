import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { templateRenderer } from '../src/http/view-template.ts'

type CardProps = { name: string; count: number; note?: string }

function Card({ name, count, note }: CardProps) {
  return (
    <div class="card" title={name} data-count={String(count)}>
      <p>
        {name} poured {count}
      </p>
      {note ? <em>{note}</em> : null}
    </div>
  )
}

const direct = (props: CardProps) => String(<Card {...props} />)

function cardTemplate(render: (props: CardProps) => string = direct) {
  return templateRenderer<CardProps, 'name' | 'count' | 'note'>({
    name: 'card',
    shape: (props) => String(Boolean(props.note)),
    slots: (props) => ({ name: props.name, count: String(props.count), note: props.note ?? '' }),
    withSlots: (like, slots) => ({
      name: slots.name,
      count: Number(slots.count),
      note: like.note ? slots.note : like.note,
    }),
    render,
  })
}

const props = fc.record({
  name: fc.string({ unit: 'grapheme', maxLength: 30 }),
  count: fc.nat(),
  note: fc.option(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), { nil: undefined }),
})

describe('templateRenderer', () => {
  test('fills in exactly what a normal render gives, escaping included, for any values', () => {
    const card = cardTemplate()
    card({ name: 'first', count: 1 })
    card({ name: 'first', count: 1, note: 'a note' })
    fc.assert(
      fc.property(props, (value) => card(value) === direct(value)),
      { numRuns: 500 },
    )
    expect(card({ name: `<script>"&'`, count: 7, note: '</em>' })).toBe(
      direct({ name: `<script>"&'`, count: 7, note: '</em>' }),
    )
  })

  test('renders a shape first normally, then from its template', () => {
    let renders = 0
    const card = cardTemplate((value) => {
      renders++
      return direct(value)
    })
    card({ name: 'a', count: 1 })
    const afterFirst = renders
    for (let i = 0; i < 10; i++) card({ name: `name ${i}`, count: i })
    expect(afterFirst).toBe(2)
    expect(renders).toBe(afterFirst)
  })

  test('a view the template cannot reproduce is always rendered normally', () => {
    const shouting = (value: CardProps) => direct({ ...value, name: value.name.toUpperCase() })
    let renders = 0
    const card = cardTemplate((value) => {
      renders++
      return shouting(value)
    })
    const values = [
      { name: 'quiet', count: 1 },
      { name: 'calm', count: 2 },
      { name: 'still', count: 3 },
    ]
    for (const value of values) expect(card(value)).toBe(shouting(value))
    expect(renders).toBe(values.length + 1)
  })
})
