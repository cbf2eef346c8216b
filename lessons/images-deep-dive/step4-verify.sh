#!/bin/bash
# Passes when flask-app:secure exists and runs as appuser.
if ! docker image inspect flask-app:secure >/dev/null 2>&1; then
  echo "There is no image flask-app:secure yet. Build it with -f Dockerfile.secure."
  exit 1
fi
if [ "$(docker image inspect flask-app:secure --format '{{.Config.User}}')" != "appuser" ]; then
  echo "flask-app:secure does not switch to appuser. Check the USER line of Dockerfile.secure and build again."
  exit 1
fi
exit 0
