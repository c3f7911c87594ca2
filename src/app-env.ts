import type { RequestIdVariables } from 'hono/request-id'
import type { SessionVariables } from './session/sessions.ts'

/** The typed context every handler sees. */
export type AppEnv = {
  Variables: RequestIdVariables &
    SessionVariables & {
      /** The client's address, worked out on first call (see http/client-ip.ts). */
      clientIp: () => string
      /** The route to log, where it differs from the pattern Hono matched (see http/only-param.ts). */
      route?: string
    }
}
