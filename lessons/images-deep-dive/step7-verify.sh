#!/bin/bash
# Passes when the web container exists and was killed (exit code 137).
state=$(docker inspect web --format '{{.State.Status}} {{.State.ExitCode}}' 2>/dev/null)
if [ "$state" = "exited 137" ]; then
  exit 0
fi
echo "Expected a container named web that was stopped with docker kill (exit code 137); found: ${state:-no such container}."
exit 1
