import { z } from 'zod'

/** bcrypt reads at most 72 bytes; longer passwords are refused, never silently cut. */
const MAX_PASSWORD_BYTES = 72
const MIN_PASSWORD_LENGTH = 8

/**
 * A submitted field whose bytes are not UTF-8 (see readForm). Decoding would
 * turn them into U+FFFD, which a password may legitimately contain, so the
 * field is marked instead and refused here.
 */
export class InvalidText {}
const utf8 = new TextEncoder()

/** One text value, sent once, without NUL bytes or broken UTF-8. */
export const singleText = (label: string) =>
  z
    .union([z.string(), z.array(z.unknown()), z.instanceof(Blob), z.instanceof(InvalidText)], {
      message: `${label} is required.`,
    })
    .check((ctx) => {
      if (ctx.value instanceof InvalidText) {
        ctx.issues.push({ code: 'custom', input: ctx.value, message: `${label} must be valid UTF-8 text.` })
      } else if (typeof ctx.value !== 'string') {
        ctx.issues.push({ code: 'custom', input: ctx.value, message: `${label} must be sent once, as text.` })
      } else if (ctx.value.includes('\0')) {
        ctx.issues.push({ code: 'custom', input: ctx.value, message: `${label} must not contain NUL characters.` })
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

const fitsBcrypt = (value: string) => utf8.encode(value).length <= MAX_PASSWORD_BYTES

/**
 * The form a password is hashed in: NFKC, as NIST SP 800-63B-4 asks, so the
 * same password typed on another keyboard or system (composed or decomposed
 * accents, full-width digits) still matches.
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC')
}

const tooLong = (label: string) => `${label} must be at most ${MAX_PASSWORD_BYTES} bytes.`

/*
 * A password to check against a stored hash. Hashes made before passwords
 * were normalised hold the typed form, so the login tries both, and either may
 * be the one within bcrypt's 72 bytes.
 */
const password = (label: string) =>
  singleText(label).pipe(
    z
      .string()
      .min(1, `${label} is required.`)
      .refine((value) => fitsBcrypt(value) || fitsBcrypt(normalizePassword(value)), {
        message: tooLong(label),
        abort: true,
      }),
  )

/* A new password, stored normalised: its limits apply to the normalised form. */
const newPassword = (label: string) =>
  singleText(label)
    .transform(normalizePassword)
    .pipe(
      z
        .string()
        .min(1, `${label} is required.`)
        .refine(fitsBcrypt, { message: tooLong(label), abort: true })
        .pipe(z.string().min(MIN_PASSWORD_LENGTH, `${label} must be at least ${MIN_PASSWORD_LENGTH} characters.`)),
    )

const confirmation = singleText('Password confirmation').transform(normalizePassword)

export const loginForm = z.object({ email, password: password('Password') })

/*
 * Only what costs next to nothing is checked here. Whether the password is
 * guessable or breached (NewPasswordCheck) costs far more, so it runs after the
 * throttle has counted the attempt.
 */
export const signupForm = z
  .object({ email, password: newPassword('Password'), password_confirm: confirmation })
  .refine((form) => form.password === form.password_confirm, {
    path: ['password_confirm'],
    message: 'Passwords do not match.',
  })

/** The password change form; the new password's strength is checked after the current one. */
export const passwordChangeForm = z
  .object({
    current_password: password('Current password'),
    new_password: newPassword('New password'),
    new_password_confirm: confirmation,
  })
  .refine((form) => form.new_password === form.new_password_confirm, {
    path: ['new_password_confirm'],
    message: 'Passwords do not match.',
  })

/** One email address: the forgotten-password form, and the new address of an email change. */
export const emailForm = z.object({ email })

/** A new password chosen through a reset link, twice (its strength is judged by NewPasswordCheck, as at sign-up). */
export const passwordResetForm = z
  .object({
    password: newPassword('Password'),
    confirm: confirmation,
  })
  .refine((form) => form.password === form.confirm, { path: ['confirm'], message: 'Passwords do not match.' })

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
