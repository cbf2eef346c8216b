#!/bin/bash
# Passes when the oci-runc container exists and was run by runc.
runtime=$(docker inspect oci-runc --format '{{.HostConfig.Runtime}}' 2>/dev/null)
if [ "$runtime" = "runc" ]; then
  exit 0
fi
echo "There is no container oci-runc run with --runtime runc yet (found: ${runtime:-none})."
exit 1
