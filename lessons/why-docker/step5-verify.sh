#!/bin/bash
# Passes when my-volume and the bind-mounted folder both hold hello.txt.
if ! grep -qx 'Hello from the container!' /var/lib/docker/volumes/my-volume/_data/hello.txt 2>/dev/null; then
  echo "The volume my-volume has no hello.txt yet."
  exit 1
fi
if ! grep -qx 'Hello from the container!' /root/why-docker/my-data/hello.txt 2>/dev/null; then
  echo "/root/why-docker/my-data/hello.txt is missing. Run the bind mount commands."
  exit 1
fi
exit 0
