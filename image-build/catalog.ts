// The lab's offline image catalog, built in this order (later images are FROM earlier ones).
// Every name is honest about what is inside: Debian 12 packages, never a look-alike.

export interface CatalogEntry {
  /** Folder under image-build/images/ with the Dockerfile. */
  dir: string;
  tags: string[];
  /** A root filesystem tarball from the imgsrc step that the Dockerfile ADDs as rootfs.tar. */
  rootfs?: string;
  /** Extra files from the imgsrc step copied into the build context. */
  files?: string[];
  /** RUN apt-get needs Debian's archive while the catalog is built (never inside the lab). */
  network?: boolean;
}

export const CATALOG: CatalogEntry[] = [
  { dir: 'debian', tags: ['debian:bookworm-slim', 'debian:bookworm', 'debian:12'], rootfs: 'debian.tar' },
  { dir: 'busybox', tags: ['busybox:1.35', 'busybox:latest'], rootfs: 'busybox.tar' },
  { dir: 'hello-world', tags: ['hello-world:latest'], files: ['hello'] },
  { dir: 'python', tags: ['python:3.11-slim', 'python:3.11'], network: true },
  { dir: 'nginx', tags: ['nginx:1.22', 'nginx:1.22.1', 'nginx:latest'], network: true },
  { dir: 'redis', tags: ['redis:7.0', 'redis:latest'], network: true },
  { dir: 'postgres', tags: ['postgres:15', 'postgres:15-bookworm'], network: true },
  { dir: 'mariadb', tags: ['mariadb:10.11'], network: true },
  { dir: 'registry', tags: ['registry:2', 'registry:2.8'], network: true },
  { dir: 'jq', tags: ['jq:1.6'], network: true },
];
