/**
 * Whether `work` fulfilled within `ms` (rejects if it rejected first). Work
 * still running then is left to finish on its own: for closing connections
 * that may hang, where waiting longer helps nobody.
 */
export async function fulfilledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms)
  })
  try {
    return await Promise.race([work.then(() => true), late])
  } finally {
    clearTimeout(timer)
  }
}
