import type { FieldErrors } from '../../auth/forms.ts'
import { FormField } from './form-field.tsx'

type NewPasswordFieldsProps = {
  /** `password` (sign-up, reset) or `new_password` (password change). */
  name: string
  /** The confirmation's field name; `<name>_confirm` unless given. */
  confirmName?: string
  label: string
  hint: string
  fieldErrors: FieldErrors
  /** The field (of these two) to focus when the form comes back. */
  focus?: string
}

/** A new password and its confirmation, marked so password managers offer to generate one. */
export function NewPasswordFields({ name, confirmName, label, hint, fieldErrors, focus }: NewPasswordFieldsProps) {
  const confirm = confirmName ?? `${name}_confirm`
  return (
    <>
      <FormField
        name={name}
        label={label}
        type="password"
        error={fieldErrors[name]}
        autocomplete="new-password"
        hint={hint}
        autofocus={focus === name}
      />
      <FormField
        name={confirm}
        label={`Confirm ${label.toLowerCase()}`}
        type="password"
        error={fieldErrors[confirm]}
        autocomplete="new-password"
        autofocus={focus === confirm}
      />
    </>
  )
}
