#!/bin/bash
# Passes when app1 has an anonymous volume mounted at /data.
mount=$(docker inspect app1 --format '{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}}{{println}}{{end}}' 2>/dev/null | grep ' /data$')
if printf '%s' "$mount" | grep -Eq '^volume [0-9a-f]{64} /data$'; then
  exit 0
fi
echo "No container app1 with an anonymous volume at /data yet. Run the docker run -d -v /data command."
exit 1
