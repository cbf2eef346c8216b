#!/bin/bash
# Passes when life was removed and stubborn was stopped the hard way (exit code 137).
if docker inspect life >/dev/null 2>&1; then
  echo "The container life still exists. Remove it with docker rm life."
  exit 1
fi
state=$(docker inspect stubborn --format '{{.State.Status}} {{.State.ExitCode}}' 2>/dev/null)
if [ "$state" != "exited 137" ]; then
  echo "Expected the stubborn container stopped with exit code 137; found: ${state:-no such container}."
  exit 1
fi
exit 0
