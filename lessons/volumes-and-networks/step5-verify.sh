#!/bin/bash
# Passes when scratch and scratch2 have a tmpfs at /cache, and scratch2's is empty after its restart.
for c in scratch scratch2; do
  if ! docker exec "$c" sh -c 'mount | grep -q "^tmpfs on /cache type tmpfs"' 2>/dev/null; then
    echo "No running container $c with a tmpfs at /cache yet."
    exit 1
  fi
done
if [ -n "$(docker exec scratch2 ls /cache 2>/dev/null)" ]; then
  echo "scratch2's /cache still holds files: restart it (docker restart scratch2) and look again."
  exit 1
fi
exit 0
