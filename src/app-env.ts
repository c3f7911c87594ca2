import type { RequestIdVariables } from 'hono/request-id'
import type { SessionVariables } from './session/sessions.ts'

/** The typed context every handler sees. */
export type AppEnv = {
  Variables: RequestIdVariables &
    SessionVariables & {
      clientIp: string
    }
}
