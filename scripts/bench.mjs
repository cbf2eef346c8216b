// `npm run bench`: the QEMU comparison needs Debian's qemu-system-x86; install it if missing, then measure.
import { checkNode, ensureDebianPackages, ensureGuest, ensureNodeModules, run } from './prerequisites.mjs';

checkNode();
ensureDebianPackages({ 'qemu-system-x86': 'runs the same guest under QEMU TCG for comparison' });
ensureNodeModules();
ensureGuest();
run('node_modules/.bin/tsx', ['bench/bench.ts', ...process.argv.slice(2)]);
