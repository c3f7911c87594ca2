import { z } from 'zod'
import { singleText } from './forms.ts'

/** A one-time code: 6 digits from an app, or a recovery code (`XXXXX-XXXXX`), spaces allowed. */
export const codeForm = z.object({
  code: singleText('Code').pipe(
    z.string().trim().min(1, 'Enter the code.').max(32, 'That is longer than any code: check what you typed.'),
  ),
})

const passkeyName = singleText('Name').pipe(
  z
    .string()
    .trim()
    .min(1, 'Give the passkey a name.')
    .max(64, 'A passkey name can be at most 64 characters.')
    // Format characters too (right-to-left overrides, zero-width joiners): the
    // name is shown on the security page and in mails, and must read as it is.
    .refine((name) => !/[\p{Cc}\p{Cf}]/u.test(name), 'A passkey name cannot contain control or formatting characters.'),
)

/** The browser's answer to a WebAuthn ceremony, as JSON text (checked in detail by auth/passkeys.ts). */
const credentialResponse = singleText('Passkey response').pipe(
  z.string().min(1, 'Using a passkey needs JavaScript.').max(12_000, 'The passkey response is too large.'),
)

export const passkeyRenameForm = z.object({ name: passkeyName })
export const passkeyRegisterForm = z.object({ name: passkeyName, response: credentialResponse })
export const passkeySignInForm = z.object({ response: credentialResponse })
