#!/bin/bash
# Passes once the todo-api:v0.1 image exists.
if docker image inspect todo-api:v0.1 >/dev/null 2>&1; then
  exit 0
fi
echo "There is no image todo-api:v0.1 yet. Run the docker build command in /root/containers-101."
exit 1
