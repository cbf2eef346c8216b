import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BUILD_ROOT = process.env.GUEST_BUILD_DIR ?? path.join(REPO_ROOT, 'build', 'guest');
export const CACHE_ROOT = path.join(BUILD_ROOT, 'cache');
/** A symlink to the current release: what the site serves at /guest/. */
export const OUT_LINK = path.join(BUILD_ROOT, 'out');
export const GUEST_ROOTFS_SRC = path.join(REPO_ROOT, 'guest-rootfs');
export const IMAGES_SRC = path.join(REPO_ROOT, 'image-build', 'images');
