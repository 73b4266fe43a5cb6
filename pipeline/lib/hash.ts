/** SHA-256 as lowercase hex, the form every file hash in the project takes. */
import { createHash } from 'node:crypto';

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}
