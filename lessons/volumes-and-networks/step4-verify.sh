#!/bin/bash
# Passes when nginx on port 8080 serves the changed page from the bind mount.
if [ "$(docker inspect site --format '{{range .Mounts}}{{.Type}}{{end}}' 2>/dev/null)" != "bind" ]; then
  echo "No container site with a bind mount yet. Run the docker run command with -v \$(pwd)/website:…"
  exit 1
fi
if ! curl -s --max-time 10 localhost:8080 | grep -q 'changed on the host'; then
  echo "localhost:8080 does not serve the changed page yet. Change website/index.html on the host."
  exit 1
fi
exit 0
