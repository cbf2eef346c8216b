#!/bin/bash
# Passes when my-debian still has ping after its restart and my-ping-image ships it.
if ! docker exec my-debian test -x /usr/local/bin/ping 2>/dev/null; then
  echo "The my-debian container does not have /usr/local/bin/ping (or is not running)."
  exit 1
fi
if ! docker run --rm my-ping-image test -x /usr/local/bin/ping 2>/dev/null; then
  echo "There is no image my-ping-image with ping yet. Build it with the docker build command."
  exit 1
fi
exit 0
