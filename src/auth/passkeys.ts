import type {
  AuthenticationResponseJSON,
  AuthenticatorTransport,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server'
import { z } from 'zod'
import type { Passkey } from '../db/schema.ts'
import type { SecondFactorRepository } from '../db/second-factors.ts'
import type { RedisClient } from '../redis/client.ts'
import { viaRedis } from '../unavailable.ts'

// Loaded on first use: most visitors never touch a passkey, and the library costs megabytes of memory at rest.
const webauthn = () => import('@simplewebauthn/server')

type PasskeyOptions = {
  repository: SecondFactorRepository
  redis: RedisClient
  prefix: string
  /** The origin users reach the app at (APP_URL): its host name is the relying party ID. */
  appUrl: string
}

/** Each ceremony keeps its own challenges: one asked for to sign in cannot answer a confirmation. */
type Ceremony = 'register' | 'sign-in' | 'confirm'

export type PasskeyFailure =
  | { ok: false; reason: 'expired' | 'invalid' | 'unknown' | 'duplicate' }
  /** A correctly signed assertion whose counter did not go up: the authenticator was copied. */
  | { ok: false; reason: 'counter'; passkey: Passkey }

/** WebAuthn allows 1023-byte credential IDs; ours must fit an indexed column. */
const MAX_CREDENTIAL_ID_CHARS = 512
const CHALLENGE_TTL_MS = 5 * 60 * 1000
const CEREMONY_TIMEOUT_MS = 2 * 60 * 1000
const base64url = z
  .string()
  .max(8192)
  .regex(/^[A-Za-z0-9_-]*$/)

/* The shape the browser library posts back, checked before any parsing of its contents. */
const credentialJson = z.object({
  id: base64url.min(1).max(MAX_CREDENTIAL_ID_CHARS),
  rawId: base64url.min(1).max(MAX_CREDENTIAL_ID_CHARS),
  type: z.literal('public-key'),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
})

const signedChallenge = z.object({ challenge: base64url.min(16).max(128) })

const registrationJson = credentialJson.extend({
  response: z.object({
    clientDataJSON: base64url,
    attestationObject: base64url,
    transports: z.array(z.string().max(32)).max(8).optional(),
  }),
})

const authenticationJson = credentialJson.extend({
  response: z.object({
    clientDataJSON: base64url,
    authenticatorData: base64url,
    signature: base64url,
    userHandle: base64url.optional(),
  }),
})

function parseJson<T>(schema: z.ZodType<T>, text: string): T | null {
  try {
    const parsed = schema.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

/**
 * Passkeys through @simplewebauthn/server: registration and sign-in
 * ceremonies bound to APP_URL's origin and host, user verification required,
 * each challenge single use and tied to the session that asked for it.
 */
export class Passkeys {
  readonly #options: PasskeyOptions
  readonly rpId: string
  readonly origin: string

  constructor(options: PasskeyOptions) {
    this.#options = options
    this.origin = new URL(options.appUrl).origin
    this.rpId = new URL(options.appUrl).hostname
  }

  /** Options for navigator.credentials.create(): a discoverable credential that verifies the user. */
  async registrationOptions(
    sessionId: string,
    user: { id: string; email: string },
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.#options.repository.listPasskeys(user.id)
    const options = await (await webauthn()).generateRegistrationOptions({
      rpName: 'Taproom',
      rpID: this.rpId,
      userName: user.email,
      userID: new TextEncoder().encode(user.id),
      timeout: CEREMONY_TIMEOUT_MS,
      attestationType: 'none',
      excludeCredentials: existing.map((passkey) => ({
        id: passkey.credentialId,
        transports: splitTransports(passkey),
      })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    })
    await this.#keepChallenge(sessionId, 'register', options.challenge)
    return options
  }

  /** Verifies what the browser created and stores it under the user's chosen name. */
  async register(
    sessionId: string,
    userId: string,
    name: string,
    responseText: string,
  ): Promise<{ ok: true; passkey: Passkey } | PasskeyFailure> {
    const response = parseJson(registrationJson, responseText)
    if (!response) return { ok: false, reason: 'invalid' }
    const expectedChallenge = await this.#takeSignedChallenge(sessionId, 'register', response.response.clientDataJSON)
    if (!expectedChallenge) return { ok: false, reason: 'expired' }
    let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>
    try {
      verified = await (await webauthn()).verifyRegistrationResponse({
        response: response as RegistrationResponseJSON,
        expectedChallenge,
        expectedOrigin: this.origin,
        expectedRPID: this.rpId,
        requireUserVerification: true,
      })
    } catch {
      return { ok: false, reason: 'invalid' }
    }
    if (!verified.verified) return { ok: false, reason: 'invalid' }
    const { credential, credentialBackedUp } = verified.registrationInfo
    if (credential.id.length > MAX_CREDENTIAL_ID_CHARS) return { ok: false, reason: 'invalid' }
    const passkey = await this.#options.repository.addPasskey({
      userId,
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      transports: knownTransports(credential.transports).join(','),
      name,
      backedUp: credentialBackedUp,
    })
    return passkey ? { ok: true, passkey } : { ok: false, reason: 'duplicate' }
  }

  /**
   * Options for navigator.credentials.get(). With no user, any passkey of this
   * site may answer (the button and autofill on /login); with a user, only
   * theirs (the second step after a password).
   */
  async signInOptions(sessionId: string, userId?: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const allowed = userId ? await this.#options.repository.listPasskeys(userId) : []
    return this.#assertionOptions(sessionId, 'sign-in', allowed)
  }

  /**
   * Options for confirming it is the signed-in user before a sensitive action
   * (re-authentication): only that user's passkeys may answer; null when they
   * have none.
   */
  async confirmOptions(sessionId: string, userId: string): Promise<PublicKeyCredentialRequestOptionsJSON | null> {
    const allowed = await this.#options.repository.listPasskeys(userId)
    return allowed.length === 0 ? null : this.#assertionOptions(sessionId, 'confirm', allowed)
  }

  async #assertionOptions(
    sessionId: string,
    ceremony: 'sign-in' | 'confirm',
    allowed: Passkey[],
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const options = await (await webauthn()).generateAuthenticationOptions({
      rpID: this.rpId,
      timeout: CEREMONY_TIMEOUT_MS,
      userVerification: 'required',
      allowCredentials: allowed.map((passkey) => ({ id: passkey.credentialId, transports: splitTransports(passkey) })),
    })
    await this.#keepChallenge(sessionId, ceremony, options.challenge)
    return options
  }

  /**
   * Verifies an assertion: the challenge this session was given, this origin
   * and RP ID, user verification, the signature, and a counter that went up
   * (a signed assertion whose counter did not is from a copied authenticator:
   * `counter`, refused).
   */
  verifySignIn(sessionId: string, responseText: string): Promise<{ ok: true; passkey: Passkey } | PasskeyFailure> {
    return this.#verifyAssertion(sessionId, 'sign-in', responseText)
  }

  /**
   * As verifySignIn, for a challenge from confirmOptions, answered by one of
   * `userId`'s passkeys: another account's is `unknown` before anything of it
   * is checked or recorded, as the options' allowed list says.
   */
  verifyConfirm(
    sessionId: string,
    userId: string,
    responseText: string,
  ): Promise<{ ok: true; passkey: Passkey } | PasskeyFailure> {
    return this.#verifyAssertion(sessionId, 'confirm', responseText, userId)
  }

  async #verifyAssertion(
    sessionId: string,
    ceremony: 'sign-in' | 'confirm',
    responseText: string,
    ownerId?: string,
  ): Promise<{ ok: true; passkey: Passkey } | PasskeyFailure> {
    const response = parseJson(authenticationJson, responseText)
    if (!response) return { ok: false, reason: 'invalid' }
    const expectedChallenge = await this.#takeSignedChallenge(sessionId, ceremony, response.response.clientDataJSON)
    if (!expectedChallenge) return { ok: false, reason: 'expired' }
    const passkey = await this.#options.repository.findPasskey(response.id)
    if (!passkey || (ownerId !== undefined && passkey.userId !== ownerId)) return { ok: false, reason: 'unknown' }
    const { verifyAuthenticationResponse } = await webauthn()
    const verify = (counter: number) =>
      verifyAuthenticationResponse({
        response: response as AuthenticationResponseJSON,
        expectedChallenge,
        expectedOrigin: this.origin,
        expectedRPID: this.rpId,
        requireUserVerification: true,
        credential: {
          id: passkey.credentialId,
          publicKey: Buffer.from(passkey.publicKey, 'base64url'),
          counter,
          transports: splitTransports(passkey),
        },
      })
    let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>
    try {
      verified = await verify(passkey.counter)
    } catch (error) {
      if (!/counter/i.test((error as Error).message)) return { ok: false, reason: 'invalid' }
      // The library compares counters before it checks the signature. Only a
      // signed assertion proves a copy: anyone can send a low counter.
      const signed = await verify(0).catch(() => null)
      return signed?.verified ? { ok: false, reason: 'counter', passkey } : { ok: false, reason: 'invalid' }
    }
    if (!verified.verified) return { ok: false, reason: 'invalid' }
    const { newCounter } = verified.authenticationInfo
    const recorded = await this.#options.repository.recordPasskeyUse(passkey.id, passkey.counter, newCounter)
    if (!recorded) return { ok: false, reason: 'counter', passkey }
    return { ok: true, passkey: { ...passkey, counter: newCounter, lastUsedAt: new Date() } }
  }

  #challengeKey(sessionId: string, ceremony: Ceremony): string {
    return `${this.#options.prefix}webauthn:${ceremony}:${sessionId}`
  }

  /*
   * The last two challenges of each ceremony are kept per session, so the
   * autofill request a login page starts and the button's request can both
   * finish; each is accepted once.
   */
  async #keepChallenge(sessionId: string, ceremony: Ceremony, challenge: string): Promise<void> {
    const key = this.#challengeKey(sessionId, ceremony)
    await viaRedis(
      this.#options.redis.multi().lpush(key, challenge).ltrim(key, 0, 1).pexpire(key, CHALLENGE_TTL_MS).exec(),
    )
  }

  /**
   * The challenge the browser signed (from its client data), used up when this
   * session was given it; null otherwise. Checked before any database lookup,
   * so a made-up response costs one Redis command. The library then checks
   * the client data against it again, with everything else.
   */
  async #takeSignedChallenge(sessionId: string, ceremony: Ceremony, clientDataJSON: string): Promise<string | null> {
    const challenge = parseJson(signedChallenge, Buffer.from(clientDataJSON, 'base64url').toString('utf8'))?.challenge
    if (!challenge) return null
    const key = this.#challengeKey(sessionId, ceremony)
    return (await viaRedis(this.#options.redis.lrem(key, 1, challenge))) === 1 ? challenge : null
  }
}

const TRANSPORTS = new Set<string>(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'])

/*
 * Only the transports WebAuthn names are kept, once each: they are hints for
 * later ceremonies, and whatever else a client sends would only fill the
 * column (eight long names overflowed it into a 500). Rows stored before this
 * check are filtered as they are read.
 */
function knownTransports(given: readonly string[] | undefined): AuthenticatorTransport[] {
  return [...new Set(given ?? [])].filter((name) => TRANSPORTS.has(name)) as AuthenticatorTransport[]
}

function splitTransports(passkey: Passkey): AuthenticatorTransport[] {
  return passkey.transports ? knownTransports(passkey.transports.split(',')) : []
}
