import type { SecondFactorRepository } from '../db/second-factors.ts'
import type { SecretBox } from './secret-box.ts'

export type ResealReport = {
  /** Sealed under an older key, now under the first. */
  moved: number
  /** Not moved by this run: already under the first key, or changed meanwhile (an enrolment, a sign-in's own move, the app turned off). */
  current: number
  /** Opened under no key given: its key was dropped too early, or the row was altered. */
  unopenable: number
}

/**
 * Moves every stored authenticator-app secret to the first key, a page at a
 * time, so an old DATA_ENCRYPTION_KEY can be dropped without waiting for each
 * user's next sign-in (an unfinished enrolment has none). A row changed
 * while this runs is left as it is: whatever changed it sealed under the
 * first key of its instance.
 */
export async function resealTotpSecrets(
  repository: SecondFactorRepository,
  box: SecretBox,
  pageSize = 500,
): Promise<ResealReport> {
  const report: ResealReport = { moved: 0, current: 0, unopenable: 0 }
  for (let after = ''; ; ) {
    const page = await repository.sealedSecretsAfter(after, pageSize)
    if (page.length === 0) return report
    for (const { userId, secretSealed } of page) {
      let resealed: string | null
      try {
        resealed = box.openForRotation(secretSealed, userId).resealed
      } catch {
        report.unopenable++
        continue
      }
      if (resealed !== null && (await repository.resealTotp(userId, secretSealed, resealed))) report.moved++
      else report.current++
    }
    after = page.at(-1)!.userId
  }
}
