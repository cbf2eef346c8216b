#!/bin/bash
# Passes when mysql2 runs on the mydata volume and the keep1 database is there.
if [ "$(docker inspect mysql2 --format '{{.State.Running}}' 2>/dev/null)" != "true" ]; then
  echo "No running container mysql2 yet. Start it on the mydata volume."
  exit 1
fi
if ! docker inspect mysql2 --format '{{range .Mounts}}{{.Name}}{{println}}{{end}}' | grep -qx mydata; then
  echo "mysql2 does not use the mydata volume."
  exit 1
fi
if ! docker exec mysql2 mariadb -uroot -pfoobarbaz -N -e 'SHOW DATABASES' 2>/dev/null | grep -qx keep1; then
  echo "mysql2 does not list the keep1 database (yet). Wait until it is ready, or create keep1 in the first container."
  exit 1
fi
exit 0
