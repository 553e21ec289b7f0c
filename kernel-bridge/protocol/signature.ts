// HMAC signing of Jupyter messages. The signature covers the four JSON frames exactly as they
// travel, so verification must run over the received bytes, before any JSON parsing.

import { createHmac, timingSafeEqual } from 'node:crypto';

const HEX_DIGEST = /^[0-9a-f]{64}$/;

/** Hex HMAC-SHA256 of the frames, or '' when the key is empty (signing disabled). */
export function signFrames(key: Buffer, frames: readonly Buffer[]): string {
  if (key.length === 0) return '';
  const hmac = createHmac('sha256', key);
  for (const frame of frames) hmac.update(frame);
  return hmac.digest('hex');
}

/**
 * True when `signature` is the frames' HMAC. Compared in constant time so that a peer cannot
 * learn a valid signature byte by byte from response timing.
 */
export function verifyFrames(key: Buffer, frames: readonly Buffer[], signature: string): boolean {
  if (key.length === 0) return signature === '';
  if (!HEX_DIGEST.test(signature)) return false;
  const expected = Buffer.from(signFrames(key, frames), 'hex');
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}
