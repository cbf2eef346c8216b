#!/bin/bash
# Passes when the flask container answers "Hello from Docker!" on port 8080.
if [ "$(docker inspect -f '{{.State.Running}}' flask 2>/dev/null)" != "true" ]; then
  echo "No running container named flask. Build flask-app and start it with docker run -d --name flask -p 8080:8080 flask-app."
  exit 1
fi
if [ "$(curl -s --max-time 10 http://localhost:8080)" != "Hello from Docker!" ]; then
  echo "The flask container runs but does not answer on http://localhost:8080 yet. Wait a few seconds and check again."
  exit 1
fi
exit 0
