/*
 * zxcvbn's work grows steeply with length (a 72-digit password costs about
 * 80 ms, 33 characters about 7 ms); a password is judged by its first 32
 * characters, and 32 characters that pass are strong whatever follows.
 *
 * In a module of its own so the request thread can cut passwords to it
 * without importing password-policy.ts, whose static imports would load
 * zxcvbn's dictionaries (over 10 MB) into the main thread at startup.
 */
export const STRENGTH_MAX_LENGTH = 32
