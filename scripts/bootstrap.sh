#!/bin/sh
# Entry point of `npm start`, `npm test` and `npm run bench` on any machine with Node >= 20 and npm:
# installs the npm packages when they are missing or stale (including the pinned Node 24 that every
# script then runs under), then hands over to scripts/<task>.mjs.
set -eu
cd "$(dirname "$0")/.."
task="$1"
shift

stamp=node_modules/.opsmith-install-stamp
stale=0
if [ ! -f "$stamp" ]; then
  stale=1
elif [ -n "$(find . -name package.json -not -path '*/node_modules/*' -newer "$stamp" -print -quit)" ] ||
  [ package-lock.json -nt "$stamp" ]; then
  stale=1
fi
if [ "$stale" = 1 ]; then
  if [ -d node_modules ]; then
    # Incremental: never wipe node_modules under processes that may be using it.
    echo "bootstrap: updating npm packages (npm install)" >&2
    npm install --no-audit --no-fund --loglevel=error
  else
    echo "bootstrap: installing npm packages (npm ci)" >&2
    npm ci --no-audit --no-fund --loglevel=error
  fi
  touch "$stamp"
fi

node_bin=node_modules/.bin/node
if [ ! -x "$node_bin" ]; then
  echo "bootstrap: $node_bin is missing after install; run: rm -rf node_modules && npm ci" >&2
  exit 1
fi
case "$("$node_bin" --version)" in
  v24.*) ;;
  *) echo "bootstrap: expected Node 24 at $node_bin, got $("$node_bin" --version)" >&2; exit 1 ;;
esac

PATH="$PWD/node_modules/.bin:$PATH"
export PATH
exec "$node_bin" "scripts/$task.mjs" "$@"
