export type FormFieldProps = {
  name: string
  label: string
  type: 'email' | 'password' | 'text'
  value?: string
  error?: string
  autocomplete: string
  hint?: string
  /** Focus this field when the page or form arrives: the first field with an error. */
  autofocus?: boolean
}

/** A labelled input with its error message tied to it for screen readers, and styled as invalid. */
export function FormField({ name, label, type, value, error, autocomplete, hint, autofocus }: FormFieldProps) {
  const id = `field-${name}`
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ')
  return (
    <div class={error ? 'field invalid' : 'field'}>
      <label for={id}>{label}</label>
      <input
        id={id}
        name={name}
        type={type}
        value={type === 'password' ? undefined : value}
        autocomplete={autocomplete}
        required
        autofocus={autofocus}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={described || undefined}
      />
      {hint ? (
        <p id={`${id}-hint`} class="hint">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} class="field-error">
          {error}
        </p>
      ) : null}
    </div>
  )
}

/** The field a returning form focuses: the first with an error, unless a form-wide error (focused itself) is shown. */
export function fieldToFocus(order: string[], errors: Record<string, string | undefined>, formError?: string) {
  return formError ? undefined : order.find((name) => errors[name])
}
