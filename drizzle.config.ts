import { defineConfig } from 'drizzle-kit'
import { parseEnv } from './src/env.ts'

const { databaseUrl } = parseEnv(process.env)

export default defineConfig({
  dialect: 'mysql',
  schema: './src/db/schema.ts',
  out: './drizzle',
  dbCredentials: { url: databaseUrl },
})
