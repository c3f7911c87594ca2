import { parentPort } from 'node:worker_threads'

/** A worker that takes every job and never answers: a check that hangs. */
parentPort?.on('message', () => {})
