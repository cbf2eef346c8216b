# Renders the page the final image serves. It needs Python; the final image does not.
import platform

print("<!doctype html>")
print("<title>multi-stage</title>")
print("<h1>Built in one stage, served from another</h1>")
print(f"<p>Rendered by Python {platform.python_version()} in the builder stage.</p>")
