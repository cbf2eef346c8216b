#!/bin/bash
# Passes when todo-api:v0.1 exists only under its registry name, with the digest the registry serves.
if docker image inspect todo-api:v0.1 >/dev/null 2>&1; then
  echo "todo-api:v0.1 is still there. Delete both names with docker rmi, then pull from localhost:5000."
  exit 1
fi
local_digest=$(docker image inspect localhost:5000/todo-api:v0.1 --format '{{range .RepoDigests}}{{println .}}{{end}}' 2>/dev/null | sed -n 's/^localhost:5000\/todo-api@//p' | head -n 1)
if [ -z "$local_digest" ]; then
  echo "localhost:5000/todo-api:v0.1 is not here. Pull it with docker pull localhost:5000/todo-api:v0.1."
  exit 1
fi
remote_digest=$(curl -s --max-time 10 -o /dev/null -D - \
  -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  http://localhost:5000/v2/todo-api/manifests/v0.1 | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')
if [ "$local_digest" != "$remote_digest" ]; then
  echo "The local image ($local_digest) is not the one in the registry ($remote_digest)."
  exit 1
fi
exit 0
