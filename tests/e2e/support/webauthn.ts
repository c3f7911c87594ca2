import type { CDPSession, Page } from 'playwright-core'

/** A credential as Chromium's virtual authenticator reports and takes it. */
export type VirtualCredential = {
  credentialId: string
  isResidentCredential: boolean
  rpId: string
  privateKey: string
  userHandle: string
  signCount: number
}

/**
 * A CTAP2 platform authenticator in Chromium (DevTools protocol): keeps
 * resident keys, verifies the user, no prompt; holding `credential` if given.
 */
export async function virtualAuthenticator(
  page: Page,
  credential?: VirtualCredential,
): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('WebAuthn.enable')
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  })
  if (credential) await cdp.send('WebAuthn.addCredential', { authenticatorId, credential })
  return { cdp, authenticatorId }
}

/**
 * Makes the page's browser one without passkey autofill (conditional
 * mediation), as many still are: the virtual authenticator answers an
 * autofill request at once, which would race the button under test.
 */
export async function withoutAutofill(page: Page): Promise<void> {
  await page.addInitScript(() => {
    PublicKeyCredential.isConditionalMediationAvailable = async () => false
  })
}
