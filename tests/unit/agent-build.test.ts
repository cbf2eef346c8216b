// The guest is i386 glibc; the agent ships as a static 32-bit binary. This
// proves that build works where gcc-multilib is installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildAgent } from './helpers/agent-harness';

/** A trivial static -m32 program builds only when gcc-multilib (32-bit libc) is present. */
function multilibMissingReason(): string | undefined {
  const probe = spawnSync('gcc', ['-m32', '-static', '-x', 'c', '-', '-o', '/dev/null'], {
    input: 'int main(void) { return 0; }\n',
  });
  return probe.status === 0 ? undefined : 'gcc-multilib is not installed (apt-get install -y gcc-multilib)';
}

const missing = multilibMissingReason();

describe('lab-agent i386 build', () => {
  it.skipIf(missing !== undefined)(
    `builds as a static 32-bit x86 executable with -Werror${missing ? ` — skipped: ${missing}` : ''}`,
    () => {
      const built = buildAgent(['-m32', '-static']);
      try {
        const header = execFileSync('od', ['-An', '-tx1', '-N', '20', built.binary]).toString().split(/\s+/).filter(Boolean);
        expect(header.slice(0, 4)).toEqual(['7f', '45', '4c', '46']); // ELF
        expect(header[4]).toBe('01'); // ELFCLASS32
        expect(header[18]).toBe('03'); // EM_386
        expect(execFileSync('sh', ['-c', `readelf -l '${built.binary}' | grep -c INTERP || true`]).toString().trim()).toBe('0');
      } finally {
        built.cleanup();
      }
    },
  );
});
