#!/bin/bash
# Passes when the cow container exists and its layer records the new, changed and deleted files.
changes=$(docker diff cow 2>/dev/null)
for want in 'A /root/new-file' 'C /etc/motd' 'D /etc/issue'; do
  if ! printf '%s\n' "$changes" | grep -qx "$want"; then
    echo "docker diff cow does not show \"$want\". Run the docker run --name cow command."
    exit 1
  fi
done
exit 0
