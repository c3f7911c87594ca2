import type { Context } from 'hono'
import type { AppEnv } from '../app-env.ts'
import type { GateOptions } from '../auth/credential-gate.ts'

/** Who asks the CredentialGate: this request's session, by its public ID (read from the cookie, no Redis), and its abort signal. */
export function gateOptions(c: Context<AppEnv>): GateOptions {
  return { client: c.get('session').id, signal: c.req.raw.signal }
}
