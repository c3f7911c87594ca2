/** Where the process is in its life: set to draining once, when a shutdown signal arrives. */
export type Lifecycle = { draining: boolean }

export function createLifecycle(): Lifecycle {
  return { draining: false }
}
