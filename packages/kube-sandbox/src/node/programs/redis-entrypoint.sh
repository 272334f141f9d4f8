#!/bin/sh
# The official redis image's docker-entrypoint.sh, reduced to what changes behaviour: arguments that
# start with "-" (or a .conf file) are options for redis-server, and protected mode is switched off
# unless a config file given as the first argument sets it (the image does the same).
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
  set -- redis-server "$@"
fi
if [ "$1" = redis-server ]; then
  protected=1
  if [ -f "${2:-}" ] && grep -q '^protected-mode' "$2"; then protected=; fi
  if [ -n "$protected" ]; then set -- "$@" --protected-mode no; fi
fi
exec "$@"
