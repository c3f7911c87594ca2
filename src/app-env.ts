import type { RequestIdVariables } from 'hono/request-id'
import type { SessionVariables } from './session/sessions.ts'

/** The typed context every handler sees. */
export type AppEnv = {
  Variables: RequestIdVariables &
    SessionVariables & {
      /** The client's address, worked out on first call (see http/client-ip.ts). */
      clientIp: () => string
    }
}
