// Checks for (and, as root, installs) what the lab needs on a fresh Debian
// machine: npm dependencies and the Debian tools that build and test the guest.
// Plain JavaScript with Node built-ins only: it runs before `npm install`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Debian packages and why each is needed, said to the user before installing. */
const DEBIAN_PACKAGES = {
  debootstrap: 'builds the Debian i386 guest root filesystem',
  e2fsprogs: 'makes the guest ext4 disk (mkfs.ext4 -d)',
  'squashfs-tools': "packs the guest's read-only files: the image catalog's layers, Docker's CLI plugins",
  seabios: 'BIOS images v86 boots',
  zstd: 'compresses disk parts and the VM snapshot',
  cpio: 'packs the initramfs',
  kmod: 'resolves kernel module dependencies for the initramfs',
  'gcc-multilib': 'compiles the guest agent and hello-world as static i386 programs',
  chromium: 'the real browser the end-to-end tests drive',
  iproute2: 'network namespaces for the classroom (LAN) end-to-end test',
  'ca-certificates': 'HTTPS to the Debian archive',
};

function missingPackages(names) {
  return names.filter((name) => {
    const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
    return !result.stdout.includes('install ok installed');
  });
}

export function step(message) {
  console.log(`\n=== ${message}`);
}

export function ensureDebianPackages(extra = {}) {
  const wanted = { ...DEBIAN_PACKAGES, ...extra };
  const missing = missingPackages(Object.keys(wanted));
  if (missing.length === 0) return;
  const why = missing.map((name) => `  ${name}: ${wanted[name]}`).join('\n');
  if (process.getuid?.() !== 0) {
    console.error(`Missing Debian packages:\n${why}\nRun this command as root and it installs them with apt-get, or install them yourself: apt-get install ${missing.join(' ')}`);
    process.exit(1);
  }
  step(`Installing Debian packages with apt-get:\n${why}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-q'], { env });
  run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { env });
}

export function ensureNodeModules() {
  const lock = path.join(ROOT, 'package-lock.json');
  const marker = path.join(ROOT, 'node_modules', '.package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  step('Installing npm dependencies (npm ci)');
  run('npm', ['ci', '--no-fund', '--no-audit']);
}

export function ensureGuest() {
  step('Building the guest (steps whose inputs did not change are reused)');
  run(path.join(ROOT, 'node_modules/.bin/tsx'), ['image-build/cli.ts']);
}

export function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', cwd: ROOT, ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    console.error(`\n✗ ${[cmd, ...args].join(' ')} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status || 1);
  }
}

export function checkNode() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 20) {
    console.error(`Node ${process.versions.node} is too old: the lab needs Node 20 or newer.`);
    process.exit(1);
  }
  try {
    execFileSync('npm', ['--version'], { stdio: 'ignore' });
  } catch {
    console.error('npm is not on the PATH: install Node.js with npm.');
    process.exit(1);
  }
}
