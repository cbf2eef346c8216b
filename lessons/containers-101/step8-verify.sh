#!/bin/bash
# Passes once the todo container has the /tmp/scratch file and the data volume exists.
if ! docker diff todo 2>/dev/null | grep -q '^A /tmp/scratch$'; then
  echo "docker diff todo does not show /tmp/scratch yet. Run the docker exec todo touch command."
  exit 1
fi
if ! docker volume inspect data >/dev/null 2>&1; then
  echo "There is no volume named data yet. Run the docker volume create command."
  exit 1
fi
exit 0
