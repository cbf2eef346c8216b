// Everything that decides what goes into the guest. Changing a value here
// changes the hash of the steps that read it, so they rebuild.

export const DEBIAN_MIRROR = process.env.DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
/** Debian's security archive: the guest's Docker packages may be security updates whose source is published there. */
export const DEBIAN_SECURITY_MIRROR = process.env.DEBIAN_SECURITY_MIRROR ?? 'http://deb.debian.org/debian-security';

/** Userland: trixie i386 brings Docker 26.1.5, buildx and compose v2 (bookworm only has 20.10). */
export const GUEST_SUITE = 'trixie';

export const GUEST_PACKAGES = [
  'docker.io', 'docker-cli', 'docker-buildx', 'docker-compose', 'containerd', 'runc', 'crun',
  'iptables', 'iproute2', 'ca-certificates', 'docker-registry', 'procps', 'less', 'nano',
  'curl', 'jq', 'busybox-static', 'kmod', 'bash-completion', 'util-linux',
];

/** Trixie has no i386 kernel: bookworm's 686 kernel boots the trixie userland. */
export const KERNEL_SUITE = 'bookworm';
export const KERNEL_META_PACKAGE = 'linux-image-686';

/** Loaded by the initramfs before the root disk is mounted (in this order, deps resolved by modprobe). */
export const INITRAMFS_MODULES = [
  // crc32c_generic is only a soft dependency of ext4 (via libcrc32c): modprobe would not pull it in.
  'ata_piix', 'sd_mod', 'crc32c_generic', 'ext4',
  // Docker's needs, loaded from RAM rather than from the emulated disk.
  'overlay', 'bridge', 'br_netfilter', 'veth', 'nf_nat', 'nf_conntrack', 'iptable_nat', 'iptable_filter',
  'ip_tables', 'xt_MASQUERADE', 'xt_addrtype', 'xt_conntrack', 'xt_nat', 'xt_tcpudp', 'xt_comment',
  'nf_conntrack_netlink', 'xfrm_user', 'xt_mark', 'ip6_tables', 'ip6table_filter', 'ip6table_nat',
  // The packed read-only files (image-build/lib/packed-files.ts), mounted before dockerd starts.
  'loop', 'squashfs',
];

/** Kernel module folders kept in the guest (the rest is hardware a v86 PC never has). */
export const KEPT_MODULE_DIRS = [
  'kernel/fs', 'kernel/net', 'kernel/crypto', 'kernel/lib', 'kernel/block', 'kernel/arch',
  'kernel/drivers/ata', 'kernel/drivers/scsi', 'kernel/drivers/block', 'kernel/drivers/virtio',
  'kernel/drivers/char', 'kernel/drivers/net/veth.ko', 'kernel/drivers/net/virtio_net.ko',
  'kernel/drivers/net/ethernet/8390', 'kernel/drivers/net/dummy.ko', 'kernel/drivers/net/macvlan.ko',
  'kernel/drivers/net/ipvlan', 'kernel/drivers/net/vxlan', 'kernel/drivers/md',
];

/** Base images for the catalog come from bookworm: python 3.11, nginx 1.22, flask 2.2 (the lessons' versions). */
export const IMAGE_SUITE = 'bookworm';

/**
 * Debian python3-* packages offered as wheels by the lab's package index (pip inside
 * containers): Flask and its dependencies, plus the libraries the lessons' apps and
 * common tutorials reach for. The build fails if a wheel's requirement is missing here.
 */
export const PYINDEX_PACKAGES = [
  'python3-flask', 'python3-werkzeug', 'python3-jinja2', 'python3-markupsafe', 'python3-itsdangerous', 'python3-click',
  'python3-requests', 'python3-urllib3', 'python3-idna', 'python3-certifi', 'python3-charset-normalizer', 'python3-chardet',
  'python3-redis', 'python3-async-timeout', 'python3-deprecated', 'python3-wrapt', 'python3-packaging',
  'python3-gunicorn', 'python3-dotenv',
];
/** Where the guest serves the index; containers reach the VM at the docker0 bridge address. */
export const PYINDEX_PORT = 3141;

/**
 * v86 settings. They must be identical when the snapshot is taken and when it is
 * restored, so the manifest carries them to the browser.
 */
export const MACHINE = {
  memorySize: 512 * 1024 * 1024,
  vgaMemorySize: 2 * 1024 * 1024,
  acpi: false,
  cmdline: [
    'console=ttyS0', 'root=/dev/sda', 'rw', 'rootfstype=ext4', 'init=/sbin/init',
    // The emulated TSC is stable; without this the kernel spends seconds calibrating.
    'tsc=reliable', 'mitigations=off', 'nowatchdog', 'quiet', 'loglevel=3',
    // Freed pages are zeroed, so v86's state packer skips them and saved states stay small.
    'init_on_free=1', 'cgroup_no_v1=all',
    // Boot-time self-tests of every crypto algorithm (2.2 s under v86) and a probe for ISA
    // Plug & Play cards (0.4 s) that no v86 PC has: a cold boot reaches /init 2.9 s sooner.
    'cryptomgr.notests', 'noisapnp',
  ].join(' '),
} as const;

/** Disk parts: small enough that a lazy first visit fetches little, big enough to keep requests few. */
export const DISK_CHUNK_SIZE = 256 * 1024;
/** Free space left on the guest disk for the learner's images, containers and volumes. */
export const DISK_FREE_BYTES = 1024 * 1024 * 1024;
