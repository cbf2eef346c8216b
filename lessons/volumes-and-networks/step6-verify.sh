#!/bin/bash
# Passes when app2 reaches app1 by name on mynet.
if [ "$(docker inspect app1 --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' 2>/dev/null)" != "mynet" ]; then
  echo "app1 is not (only) on the mynet network yet."
  exit 1
fi
if ! docker exec app2 wget -qO- http://app1 2>/dev/null | grep -q 'Welcome to nginx'; then
  echo "app2 cannot fetch http://app1 yet. Start both on mynet."
  exit 1
fi
exit 0
