#!/bin/bash
# Passes when the registry's myapp:latest and myapp:v1.2.3 are different images.
digest_of() {
  curl -s --max-time 10 -o /dev/null -D - \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://localhost:5000/v2/myapp/manifests/$1" | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}
pinned=$(digest_of v1.2.3)
latest=$(digest_of latest)
if [ -z "$pinned" ] || [ -z "$latest" ]; then
  echo "The registry does not have both myapp:v1.2.3 and myapp:latest yet. Push them."
  exit 1
fi
if [ "$pinned" = "$latest" ]; then
  echo "myapp:latest and myapp:v1.2.3 are still the same image. Push the other team's image as latest."
  exit 1
fi
exit 0
