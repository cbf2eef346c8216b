#!/bin/bash
# Passes when limited has the 512 MiB / 1 CPU limits and hog was OOM-killed.
if [ "$(docker inspect limited --format '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}' 2>/dev/null)" != "536870912 1000000000" ]; then
  echo "No container limited with --memory=512m --cpus=1 yet."
  exit 1
fi
if [ "$(docker inspect hog --format '{{.State.OOMKilled}}' 2>/dev/null)" != "true" ]; then
  echo "No OOM-killed container hog yet. Run the --memory=64m python command."
  exit 1
fi
exit 0
