// A saved state's checksum. A zstd save records the SHA-256 of each frame,
// taken as the frame comes out of packing (while the others still pack), and
// checked frame by frame on resume (beside the unpacking); its `sha256` is the
// digest of that list. This spares a save hashing the whole 100–150 MB payload
// after packing, and the copy that joined the frames for it. Saves and state
// files without a frame list carry the SHA-256 of the whole payload.

import { sha256Hex } from './bytes';
import { splitFrames } from './state-codec';
import type { StatePacking } from './state-file';

export interface StateChecksum {
  sha256: string;
  frameSha256?: string[];
}

/** The state's `sha256` from its frames' digests. */
export function framesDigest(frameSha256: readonly string[]): Promise<string> {
  return sha256Hex(new TextEncoder().encode(frameSha256.join('\n')));
}

/** The checksum a packed state is stored with: per frame when it has frames. */
export async function checksumOf(payload: Uint8Array, packing: StatePacking): Promise<StateChecksum> {
  if (packing.encoding !== 'zstd' || !packing.frames) return { sha256: await sha256Hex(payload) };
  const frameSha256 = await Promise.all(splitFrames(payload, packing.frames).map(sha256Hex));
  return { sha256: await framesDigest(frameSha256), frameSha256 };
}

/** Whether the payload is what was saved; the packing's frame sizes must have been validated. */
export async function checksumMatches(meta: StatePacking & StateChecksum, payload: Uint8Array): Promise<boolean> {
  if (!meta.frameSha256 || !meta.frames) return (await sha256Hex(payload)) === meta.sha256;
  return framesMatch(meta, await Promise.all(splitFrames(payload, meta.frames).map(sha256Hex)));
}

/** Whether the frames' SHA-256s, as read, are the ones recorded, and the recorded list is the one `sha256` names. */
export async function framesMatch(meta: StateChecksum, frameSha256: readonly string[]): Promise<boolean> {
  const recorded = meta.frameSha256 ?? [];
  return (
    frameSha256.length === recorded.length &&
    frameSha256.every((hash, i) => hash === recorded[i]) &&
    (await framesDigest(recorded)) === meta.sha256
  );
}
