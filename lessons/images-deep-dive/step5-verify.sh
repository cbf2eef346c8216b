#!/bin/bash
# Passes when site:multi and site:builder exist, the final image is the smaller one, and it serves the page.
multi=$(docker image inspect site:multi --format '{{.Size}}' 2>/dev/null)
builder=$(docker image inspect site:builder --format '{{.Size}}' 2>/dev/null)
if [ -z "$multi" ] || [ -z "$builder" ]; then
  echo "Build both site:multi and site:builder (with --target builder) first."
  exit 1
fi
if [ "$multi" -ge "$builder" ]; then
  echo "site:multi ($multi bytes) should be smaller than site:builder ($builder bytes)."
  exit 1
fi
if ! curl -s --max-time 10 http://localhost:8081 | grep -q 'Built in one stage'; then
  echo "Nothing serves the page on http://localhost:8081 yet. Start the site container."
  exit 1
fi
exit 0
