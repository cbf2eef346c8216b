#!/bin/bash
# Passes once a container made from hello-world exists.
if [ -n "$(docker ps -a -q --filter ancestor=hello-world)" ]; then
  exit 0
fi
echo "No hello-world container yet. Run docker run hello-world."
exit 1
