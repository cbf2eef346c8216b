// `npm start`: set everything up on a fresh machine, build (or reuse) the guest, serve the lab.
import { checkNode, ensureDebianPackages, ensureGuest, ensureNodeModules, run, step } from './prerequisites.mjs';

checkNode();
ensureDebianPackages();
ensureNodeModules();
ensureGuest();
step('Serving the lab (Ctrl-C stops it)');
run('node_modules/.bin/vite', ['--host', process.env.HOST ?? 'localhost', '--port', process.env.PORT ?? '5173']);
