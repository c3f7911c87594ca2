import { FormField } from './form-field.tsx'

type PasswordFieldProps = {
  /** `password` unless the form holds a new password too (`current_password`). */
  name?: string
  label?: string
  error?: string
  autofocus?: boolean
}

/** A password the user already has, for password managers to fill in (new ones: NewPasswordFields). */
export function PasswordField({ name = 'password', label = 'Password', ...field }: PasswordFieldProps) {
  return <FormField name={name} label={label} type="password" autocomplete="current-password" {...field} />
}
