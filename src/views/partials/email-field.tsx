import { FormField } from './form-field.tsx'

type EmailFieldProps = {
  /** "Email" unless the form asks for another address. */
  label?: string
  value?: string
  error?: string
  /**
   * `username` where the address names the account (`username webauthn` on
   * login, which offers passkeys in its autofill), `email` for a new address,
   * `off` for an address typed as a confirmation.
   */
  autocomplete: string
  hint?: string
  autofocus?: boolean
}

/** The `email` field (`#field-email`), as every form that asks for an address has it. */
export function EmailField({ label = 'Email', ...field }: EmailFieldProps) {
  return <FormField name="email" label={label} type="email" {...field} />
}
