#!/bin/bash
# Passes when PostgreSQL answers and the second Redis container has the key written by the first.
if ! docker exec pg psql -U postgres -tAc 'select 1' 2>/dev/null | grep -qx 1; then
  echo "PostgreSQL (container pg) does not answer yet. Start it and wait until it is ready."
  exit 1
fi
if [ "$(docker exec r2 redis-cli get greeting 2>/dev/null)" != "kept on a volume" ]; then
  echo "The r2 container does not have the greeting key (yet). Set it in r1, stop r1, start r2 on the same volume."
  exit 1
fi
exit 0
