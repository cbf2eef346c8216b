#!/bin/bash
# Passes when db runs on the backend network and answers a client there.
if [ "$(docker inspect db --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' 2>/dev/null)" != "backend" ]; then
  echo "No container db on the backend network yet."
  exit 1
fi
if ! docker exec db mariadb -uroot -pfoobarbaz -N -e 'SHOW DATABASES' 2>/dev/null | grep -qx keep1; then
  echo "db does not answer yet (or has no keep1 database). Wait for port: 3306 in docker logs db."
  exit 1
fi
exit 0
