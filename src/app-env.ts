import type { RequestIdVariables } from 'hono/request-id'
import type { RequestSession } from './session/request-session.ts'

/** The typed context every handler sees. */
export type AppEnv = {
  Variables: RequestIdVariables & {
    session: RequestSession
    clientIp: string
  }
}
