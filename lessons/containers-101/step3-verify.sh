#!/bin/bash
# Passes when the todo container is running and its API lists "learn K8s".
if [ "$(docker inspect -f '{{.State.Running}}' todo 2>/dev/null)" != "true" ]; then
  echo "No running container named todo. Start it with the docker run command."
  exit 1
fi
if ! body=$(curl -s --max-time 10 http://localhost:8080/todos); then
  echo "The container runs, but http://localhost:8080/todos does not answer yet. Wait a moment and check again."
  exit 1
fi
if ! printf '%s' "$body" | grep -q 'learn K8s'; then
  echo "GET /todos answered $body: add the task with the POST command first."
  exit 1
fi
exit 0
