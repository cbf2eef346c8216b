// `docker pull` of a catalog image the learner removed, in the real guest under v86:
// the in-VM registry serves it as Docker Hub's mirror, at the digest the catalog
// promises, its layers rebuilt from the files Docker kept (the lab's layer store,
// served by the registry's front in lab-on-demand), and nothing reaches beyond the VM.
// The catalog's layers themselves are read from the disk's packed image.
import { describe, expect, it } from 'vitest';
import { useSnapshotVm } from './helpers/snapshot-vm.ts';

const guest = useSnapshotVm();

describe('the offline image catalog in the real guest', () => {
  it('starts the registry at its first connection to port 5000, not at boot', async () => {
    const agent = guest().machine.agent;
    expect((await agent.exec('pidof docker-registry')).exitCode).toBe(1);
    const listening = await agent.exec("ss -Htln 'sport = :5000'");
    expect(listening.stdout).toMatch(/LISTEN/);

    const ping = await agent.exec("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:5000/v2/", { timeoutMs: 180_000 });
    expect(ping.stdout).toBe('200');
    expect((await agent.exec('pidof docker-registry')).exitCode).toBe(0);
  }, 300_000);

  it('stores the Perl layer of postgres and mariadb once, shared by both', async () => {
    const agent = guest().machine.agent;
    const layers = await agent.exec("docker image inspect --format '{{index .RootFS.Layers 0}} {{index .RootFS.Layers 1}}' postgres:15 mariadb:10.11");
    expect(layers.exitCode, layers.stderr).toBe(0);
    const [postgres, mariadb] = layers.stdout.trim().split('\n');
    expect(postgres).toMatch(/^sha256:[0-9a-f]{64} sha256:[0-9a-f]{64}$/);
    expect(mariadb).toBe(postgres);
    const history = await agent.exec('docker history --no-trunc --format "{{.CreatedBy}}" mariadb:10.11');
    expect(history.stdout).toMatch(/apt-get install -y --no-install-recommends perl &&/);
  }, 120_000);

  it('brings back a removed image with docker pull, at the catalog digest', async () => {
    const agent = guest().machine.agent;
    const expected = guest().manifest.images.find((image) => image.ref === 'jq:1.6');
    expect(expected?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    // The catalog's layers are read from the packed image (image-build/lib/packed-files.ts),
    // bound where Docker looks; `docker rmi` unbinds and removes the layer's folder as usual.
    const fsOf = async (dir: string) => (await agent.exec(`findmnt -n -o FSTYPE -T ${dir}`)).stdout.trim();
    const catalogLayer = (await agent.exec("docker image inspect --format '{{.GraphDriver.Data.UpperDir}}' jq:1.6")).stdout.trim();
    expect(await fsOf(catalogLayer)).toBe('squashfs');

    const removed = await agent.exec('docker rmi jq:1.6', { timeoutMs: 120_000 });
    expect(removed.stderr).toBe('');
    expect((await agent.exec(`test -e ${catalogLayer}`)).exitCode).toBe(1);
    expect((await agent.exec(`findmnt -n ${catalogLayer}`)).stdout).toBe('');
    expect(removed.stdout).toMatch(/^Untagged: jq:1\.6$/m);
    expect(removed.stdout).toMatch(/^Deleted: sha256:/m);

    const pulled = await agent.exec('docker pull jq:1.6', { timeoutMs: 240_000 });
    expect(pulled.exitCode, pulled.stderr).toBe(0);
    expect(pulled.stdout).toMatch(/: Pull complete$/m);
    expect(pulled.stdout).toContain(`Digest: ${expected!.digest}`);
    expect(pulled.stdout).toMatch(/^Status: Downloaded newer image for jq:1\.6$/m);
    const pulledLayer = (await agent.exec("docker image inspect --format '{{.GraphDriver.Data.UpperDir}}' jq:1.6")).stdout.trim();
    expect(await fsOf(pulledLayer)).toBe('ext4');

    const layers = await agent.exec("curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' http://127.0.0.1:5000/v2/library/jq/manifests/1.6 | jq -r '.layers[] | .mediaType + \" \" + .digest'");
    const [mediaType, digest] = layers.stdout.trim().split('\n').at(-1)!.split(' ');
    expect(mediaType).toBe('application/vnd.oci.image.layer.v1.tar');
    // The registry's copy of jq's own layer is a placeholder without a block of data;
    // what the pull got came from the layer store, byte for byte.
    const hex = digest!.slice('sha256:'.length);
    const placeholder = await agent.exec(`stat -c '%b %s' /var/lib/docker-registry/docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`);
    expect(placeholder.stdout).toMatch(/^0 [1-9]\d*\n$/);
    const served = await agent.exec(`curl -sf http://127.0.0.1:5000/v2/library/jq/blobs/${digest} | sha256sum`);
    expect(served.stdout).toBe(`${hex}  -\n`);

    const run = await agent.exec(`echo '{"lab":"offline"}' | docker run -i --rm jq:1.6 -r .lab`, { timeoutMs: 180_000 });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toBe('offline\n');
  }, 600_000);
});
