import { Hono } from 'hono'
import type { ActivityLog } from '../activity/activity-log.ts'
import type { AppEnv } from '../app-env.ts'
import { requireUser } from '../http/require-user.ts'
import { ActivityPage } from '../views/pages/activity.tsx'
import { type SessionLifetimes, timeoutFor } from '../views/partials/session-timeout.tsx'

export type ActivityDeps = {
  activity: ActivityLog
  retentionDays: number
  lifetimes: SessionLifetimes
  now: () => number
}

/** GET /account/activity: the signed-in user's latest security events. */
export function activityRoutes({ activity, retentionDays, lifetimes, now }: ActivityDeps) {
  return new Hono<AppEnv>().get('/account/activity', async (c) => {
    const { state, user } = await requireUser(c)
    const entries = await activity.recent(user.id)
    return c.html(
      <ActivityPage
        session={state}
        csrfToken={state.csrfToken}
        entries={entries}
        retentionDays={retentionDays}
        now={now()}
        timeout={timeoutFor(state, now(), lifetimes)}
      />,
    )
  })
}
