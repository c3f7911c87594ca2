import { createDatabase } from '../db/client.ts'
import { SecondFactorRepository } from '../db/second-factors.ts'
import { loadConfig } from '../env.ts'
import { describeError } from '../log.ts'
import { resealTotpSecrets } from './reseal.ts'
import { SecretBox } from './secret-box.ts'

/** `bun run db:reseal`: moves every authenticator-app secret to the first DATA_ENCRYPTION_KEY. */
const config = loadConfig()
if (config.generatedDataKey) {
  console.error('DATA_ENCRYPTION_KEY is not set: give the new key first, then the old, separated by a comma.')
  process.exit(2)
}
const database = createDatabase(config.databaseUrl)
try {
  const box = new SecretBox(config.dataEncryptionKeys)
  const { moved, current, unopenable } = await resealTotpSecrets(new SecondFactorRepository(database.db), box)
  console.log(
    `Authenticator-app secrets: ${moved} moved to the first key, ${current} not moved (already under it), ${unopenable} open under no key given.`,
  )
  if (unopenable > 0) process.exitCode = 1
} catch (error) {
  // The driver's own message repeats the query and its values (user ids, sealed secrets): only its name and code are printed.
  const { errorName, errorCode } = describeError(error)
  console.error(`Stopped by ${errorName}${errorCode ? ` (${errorCode})` : ''}. What moved stays moved; run it again.`)
  process.exitCode = 3
} finally {
  await database.pool.end().catch(() => undefined)
}
