import { loadConfig } from '../env.ts'
import { createDatabase } from './client.ts'
import { ensureDatabase, migrateDatabase } from './migrate.ts'
import { seedDemoUser } from './seed.ts'
import { UserRepository } from './users.ts'

/** `bun run db:seed`: makes sure the schema is there and the demo user exists. */
const config = loadConfig()
await ensureDatabase(config.databaseUrl)
const database = createDatabase(config.databaseUrl)
await migrateDatabase(database.unbounded)
const added = await seedDemoUser(new UserRepository(database.db))
console.log(added ? 'Seeded demo user test@example.com / password' : 'Demo user test@example.com already present')
await database.pool.end()
