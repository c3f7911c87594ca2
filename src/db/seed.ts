import type { UserRepository } from './users.ts'
import { DuplicateEmailError } from './users.ts'

export const DEMO_EMAIL = 'test@example.com'
/** The original tutorial's hash of "password" (bcrypt $2y$, cost 12), kept to prove old hashes still log in. */
const DEMO_PASSWORD_HASH = '$2y$12$7Mj1fG3bdlpmRcXtZpwimOI4pItCQcj5x2.ZqydPbR5wWlKGVaQVe'

/** Inserts the demo user test@example.com / password unless it exists. Returns whether it was added. */
export async function seedDemoUser(users: UserRepository): Promise<boolean> {
  if (await users.findByEmail(DEMO_EMAIL)) return false
  try {
    await users.create(DEMO_EMAIL, DEMO_PASSWORD_HASH, { verifiedAt: new Date() })
    return true
  } catch (error) {
    if (error instanceof DuplicateEmailError) return false
    throw error
  }
}
