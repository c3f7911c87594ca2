import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

/*
 * Resolved from this file, which sits one folder below the project root both as
 * source (src/) and bundled for Node (dist/), so the same paths hold in both.
 */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../drizzle', import.meta.url))
export const PUBLIC_DIR = fileURLToPath(new URL('../public', import.meta.url))
export const HTMX_FILE = createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js')
