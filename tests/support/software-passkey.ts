import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { isoCBOR } from '@simplewebauthn/server/helpers'
import { SecondFactorRepository } from '../../src/db/second-factors.ts'
import type { TestBrowser } from './browser.ts'
import type { TestApp } from './test-app.ts'

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest()

/**
 * A passkey the test holds itself: an ES256 key registered straight in the
 * database, and assertions signed as an authenticator signs them (authenticator
 * data: RP ID hash, user present and verified, a counter that goes up; the
 * signature over it and the client data's hash). Lets passkey sign-in be
 * tested through app.request(), without a browser.
 */
export async function softwarePasskey(t: TestApp, userId: string) {
  const { privateKey, cose, credentialId } = newKey()
  const passkey = await new SecondFactorRepository(t.services.database.db).addPasskey({
    userId,
    credentialId,
    publicKey: Buffer.from(cose).toString('base64url'),
    counter: 0,
    transports: 'internal',
    name: 'Software key',
    backedUp: false,
  })
  let signCount = 0

  return {
    passkey: passkey!,
    /**
     * Asks for a challenge in this browser's session (from `optionsPath`: a
     * sign-in's by default) and answers it: the value of the form field `response`.
     */
    async assertion(browser: TestBrowser, optionsPath = '/login/passkey/options'): Promise<string> {
      const reply = await browser.request(optionsPath, {
        method: 'POST',
        headers: { 'x-csrf-token': browser.csrfToken },
      })
      const { options } = (await reply.json()) as { options: { challenge: string; rpId: string } }
      const clientData = JSON.stringify({ type: 'webauthn.get', challenge: options.challenge, origin: t.config.appUrl })
      const counter = Buffer.alloc(4)
      counter.writeUInt32BE(++signCount)
      const authenticatorData = Buffer.concat([sha256(options.rpId), Buffer.from([0x05]), counter])
      const signature = sign('sha256', Buffer.concat([authenticatorData, sha256(clientData)]), {
        key: privateKey,
        dsaEncoding: 'der',
      })
      return credentialJson(credentialId, clientData, {
        authenticatorData: authenticatorData.toString('base64url'),
        signature: signature.toString('base64url'),
        userHandle: Buffer.from(userId).toString('base64url'),
      })
    },
  }
}

function newKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const { x, y } = publicKey.export({ format: 'jwk' })
  // COSE_Key: kty EC2, alg ES256, crv P-256, x, y.
  const cose = isoCBOR.encode(
    new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(x!, 'base64url')],
      [-3, Buffer.from(y!, 'base64url')],
    ]),
  )
  return { privateKey, cose, credentialId: randomBytes(16).toString('base64url') }
}

/**
 * Registers a new software key the way the security page's script does: asks
 * for options, answers them with a "none" attestation (user present and
 * verified, the credential and its public key), and reports `transports` as
 * the browser would. The value of the form field `response`.
 */
export async function softwareRegistration(t: TestApp, browser: TestBrowser, transports: string[]): Promise<string> {
  const reply = await browser.request('/account/security/passkeys/options', {
    method: 'POST',
    headers: { 'x-csrf-token': browser.csrfToken },
  })
  const { options } = (await reply.json()) as { options: { challenge: string; rp: { id: string } } }
  const { cose, credentialId } = newKey()
  const id = Buffer.from(credentialId, 'base64url')
  const idLength = Buffer.alloc(2)
  idLength.writeUInt16BE(id.length)
  // Flags: user present, user verified, attested credential data; counter 0; AAGUID all zeros.
  const authData = Buffer.concat([
    sha256(options.rp.id),
    Buffer.from([0x45]),
    Buffer.alloc(4),
    Buffer.alloc(16),
    idLength,
    id,
    Buffer.from(cose),
  ])
  const attestationObject = isoCBOR.encode(
    new Map<string, unknown>([
      ['fmt', 'none'],
      ['attStmt', new Map()],
      ['authData', authData],
    ]) as never,
  )
  const clientData = JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin: t.config.appUrl })
  return credentialJson(credentialId, clientData, {
    attestationObject: Buffer.from(attestationObject).toString('base64url'),
    transports,
  })
}

/** A credential as the browser's script posts it: its ID, the client data and the rest of the authenticator's answer. */
function credentialJson(credentialId: string, clientData: string, response: Record<string, unknown>): string {
  return JSON.stringify({
    id: credentialId,
    rawId: credentialId,
    type: 'public-key',
    clientExtensionResults: {},
    response: { clientDataJSON: Buffer.from(clientData).toString('base64url'), ...response },
  })
}
