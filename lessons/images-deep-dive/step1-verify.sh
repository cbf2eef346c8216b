#!/bin/bash
# Passes when myimage exists with ENTRYPOINT ["echo"] and CMD ["Hello, World!"].
config=$(docker image inspect myimage --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' 2>/dev/null)
if [ "$config" = '["echo"] ["Hello, World!"]' ]; then
  exit 0
fi
echo "There is no image myimage with ENTRYPOINT [\"echo\"] and CMD [\"Hello, World!\"] yet. Build it from /root/images-deep-dive/echo."
exit 1
