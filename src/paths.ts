import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/*
 * Resolved from this file, which sits one folder below the project root both as
 * source (src/) and bundled for Node (dist/), so the same paths hold in both.
 */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../drizzle', import.meta.url))
export const PUBLIC_DIR = fileURLToPath(new URL('../public', import.meta.url))
const require = createRequire(import.meta.url)
export const HTMX_FILE = require.resolve('htmx.org/dist/htmx.min.js')
/* The package exports only its modules; its browser bundle sits beside them. */
export const WEBAUTHN_BROWSER_FILE = join(
  dirname(require.resolve('@simplewebauthn/browser')),
  '../dist/bundle/index.umd.min.js',
)
