// Secrets: generated with the system's CSPRNG, compared in constant time, stored hashed.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function generateToken(bytes = 24): string {
  return randomBytes(bytes).toString('hex');
}

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Constant-time equality for strings of any length: both sides are hashed first, so
 * neither the content nor the length of the secret leaks through timing.
 */
export function secretsEqual(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}
