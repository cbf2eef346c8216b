#!/bin/bash
# Passes when web publishes port 80 as 8081 and answers there, and hostweb uses the host network.
if ! curl -s --max-time 10 localhost:8081 | grep -q 'Welcome to nginx'; then
  echo "Nothing answers on localhost:8081 yet. Run the docker run -p 8081:80 command."
  exit 1
fi
if [ "$(docker inspect hostweb --format '{{.HostConfig.NetworkMode}}' 2>/dev/null)" != "host" ]; then
  echo "No container hostweb on the host network yet."
  exit 1
fi
exit 0
