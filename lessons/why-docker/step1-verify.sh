#!/bin/bash
# Passes when ns-demo runs in a PID namespace of its own.
pid=$(docker inspect ns-demo --format '{{.State.Pid}}' 2>/dev/null)
if [ -z "$pid" ] || [ "$pid" = "0" ]; then
  echo "No running container ns-demo yet. Start it with docker run -d --name ns-demo busybox sleep 600."
  exit 1
fi
if [ "$(readlink /proc/$pid/ns/pid)" = "$(readlink /proc/1/ns/pid)" ]; then
  echo "ns-demo shares the host's PID namespace; start it without --pid=host."
  exit 1
fi
exit 0
