export type FormFieldProps = {
  name: string
  label: string
  type: 'email' | 'password' | 'text'
  value?: string
  error?: string
  autocomplete: string
  hint?: string
  autofocus?: boolean
}

/** A labelled input with its error message tied to it for screen readers. */
export function FormField({ name, label, type, value, error, autocomplete, hint, autofocus }: FormFieldProps) {
  const id = `field-${name}`
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ')
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        name={name}
        type={type}
        value={type === 'password' ? undefined : value}
        autocomplete={autocomplete}
        autofocus={autofocus}
        required
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
