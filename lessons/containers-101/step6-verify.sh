#!/bin/bash
# Passes when the lab registry holds todo-api:v0.1.
if curl -s --max-time 10 http://localhost:5000/v2/todo-api/tags/list | grep -q '"v0.1"'; then
  exit 0
fi
echo "The registry at localhost:5000 has no todo-api:v0.1 yet. Tag the image and docker push it."
exit 1
