#!/bin/bash
# Passes when todo-api:v0.2 exists, holds the changed app.py, and the todo container runs it.
if ! docker image inspect todo-api:v0.2 >/dev/null 2>&1; then
  echo "There is no image todo-api:v0.2 yet. Rebuild with docker build -t todo-api:v0.2 ."
  exit 1
fi
if ! docker run --rm --entrypoint cat todo-api:v0.2 /app/app.py | grep -q total; then
  echo "todo-api:v0.2 still has the old app.py. Change app.py, then build again."
  exit 1
fi
if [ "$(docker inspect -f '{{.Config.Image}} {{.State.Running}}' todo 2>/dev/null)" != "todo-api:v0.2 true" ]; then
  echo "The todo container does not run todo-api:v0.2 yet. Replace it with docker rm -f todo and docker run."
  exit 1
fi
exit 0
