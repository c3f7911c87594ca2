export type CodeFieldProps = {
  label: string
  hint: string
  error?: string
  /** Recovery codes contain letters; a pure authenticator-code field gets the numeric keypad. */
  numericOnly?: boolean
}

/**
 * The one-time code input (`name="code"`): offered for autofill from SMS or an
 * app, hint and error tied to it; with an error it is drawn as invalid and
 * takes the focus, as FormField's fields do.
 */
export function CodeField({ label, hint, error, numericOnly = false }: CodeFieldProps) {
  const described = ['field-code-hint', error ? 'field-code-error' : ''].filter(Boolean).join(' ')
  return (
    <div class={error ? 'field invalid' : 'field'}>
      <label for="field-code">{label}</label>
      <input
        id="field-code"
        name="code"
        type="text"
        inputmode={numericOnly ? 'numeric' : 'text'}
        pattern={numericOnly ? '[0-9 ]{6,7}' : undefined}
        maxlength={32}
        autocomplete="one-time-code"
        autocapitalize="characters"
        spellcheck={false}
        required
        autofocus={Boolean(error)}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={described}
      />
      <p id="field-code-hint" class="hint">
        {hint}
      </p>
      {error ? (
        <p id="field-code-error" class="field-error">
          {error}
        </p>
      ) : null}
    </div>
  )
}
