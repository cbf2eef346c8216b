#!/bin/bash
# Passes once notes.txt has a name after "name:".
if grep -Eq '^name:[[:space:]]*[^[:space:]]' /root/hello-lab/notes.txt; then
  exit 0
fi
echo "notes.txt has no name after \"name:\" yet. Edit it, click Save file, then check again."
exit 1
