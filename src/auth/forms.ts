import { z } from 'zod'
import { weakPasswordReason } from './password-policy.ts'

/** bcrypt reads at most 72 bytes; longer passwords are refused, never silently cut. */
const MAX_PASSWORD_BYTES = 72
const MIN_PASSWORD_LENGTH = 8
const utf8 = new TextEncoder()

const singleText = (label: string) =>
  z
    .union([z.string(), z.array(z.unknown()), z.instanceof(Blob)], { message: `${label} is required.` })
    .check((ctx) => {
      if (typeof ctx.value !== 'string') {
        ctx.issues.push({ code: 'custom', input: ctx.value, message: `${label} must be sent once, as text.` })
      } else if (ctx.value.includes('\0')) {
        ctx.issues.push({ code: 'custom', input: ctx.value, message: `${label} must not contain NUL characters.` })
      } else if (ctx.value.includes('\uFFFD')) {
        ctx.issues.push({ code: 'custom', input: ctx.value, message: `${label} must be valid UTF-8 text.` })
      }
    })
    .transform((value) => value as string)

const email = singleText('Email')
  .transform((value) => value.trim().toLowerCase())
  .pipe(
    z
      .string()
      .min(1, 'Email is required.')
      .max(254, 'Email must be at most 254 characters.')
      .pipe(z.email({ message: 'Enter a valid email address.' })),
  )

const passwordBytes = (label: string) =>
  z
    .string()
    .min(1, `${label} is required.`)
    .refine((value) => utf8.encode(value).length <= MAX_PASSWORD_BYTES, {
      message: `${label} must be at most ${MAX_PASSWORD_BYTES} bytes.`,
      abort: true,
    })

const password = (label: string) => singleText(label).pipe(passwordBytes(label))

const newPassword = (label: string) =>
  password(label).pipe(
    z.string().min(MIN_PASSWORD_LENGTH, `${label} must be at least ${MIN_PASSWORD_LENGTH} characters.`),
  )

export const loginForm = z.object({ email, password: password('Password') })

/*
 * Runs after the field checks, and only on a password that passed them: the
 * strength estimate needs the email (an account's own address is the first
 * thing an attacker tries) and is not worth running on a refused value.
 */
function notGuessable<Form extends Record<string, unknown>>(
  field: keyof Form & string,
  related: (form: Form) => string[],
) {
  return (ctx: z.core.ParsePayload<Form>) => {
    const value = ctx.value[field]
    if (typeof value !== 'string' || ctx.issues.some((issue) => issue.path?.[0] === field)) return
    const reason = weakPasswordReason(value, related(ctx.value))
    if (reason) ctx.issues.push({ code: 'custom', path: [field], input: value, message: reason })
  }
}

export const signupForm = z
  .object({
    email,
    password: newPassword('Password'),
    password_confirm: singleText('Password confirmation'),
  })
  .refine((form) => form.password === form.password_confirm, {
    path: ['password_confirm'],
    message: 'Passwords do not match.',
  })
  .check(notGuessable('password', (form) => (typeof form.email === 'string' ? [form.email] : [])))

/** The password change form of the account with this email (the email counts as a guessable input). */
export function passwordChangeFormFor(accountEmail: string) {
  return z
    .object({
      current_password: password('Current password'),
      new_password: newPassword('New password'),
      new_password_confirm: singleText('Password confirmation'),
    })
    .refine((form) => form.new_password === form.new_password_confirm, {
      path: ['new_password_confirm'],
      message: 'Passwords do not match.',
    })
    .check(notGuessable('new_password', () => (accountEmail ? [accountEmail] : [])))
}

/** One email address: the forgotten-password form, and the new address of an email change. */
export const emailForm = z.object({ email })

/** A new password chosen through a reset link, for the account with this email (same policy as sign-up). */
export function passwordResetFormFor(accountEmail: string) {
  return z
    .object({
      password: newPassword('Password'),
      confirm: singleText('Password confirmation'),
    })
    .refine((form) => form.password === form.confirm, { path: ['confirm'], message: 'Passwords do not match.' })
    .check(notGuessable('password', () => (accountEmail ? [accountEmail] : [])))
}

export type FieldErrors = Record<string, string>

/** The first message for each field, ready to show next to it. */
export function fieldErrors(error: z.ZodError): FieldErrors {
  const errors: FieldErrors = {}
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? 'form')
    errors[field] ??= issue.message
  }
  return errors
}

/** Reads a submitted text field for showing it back (e.g. the typed email), whatever shape it came in. */
export function submittedText(value: unknown): string {
  return typeof value === 'string' ? value.slice(0, 254) : ''
}
