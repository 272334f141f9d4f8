#!/bin/sh
# The official mariadb image's docker-entrypoint.sh, reduced: options become mariadbd options; on an
# empty data directory the server is initialised (mariadb-install-db), the root password and an
# optional database/user are set from MARIADB_*/MYSQL_* variables, and /docker-entrypoint-initdb.d
# scripts (*.sh, *.sql) are run, then the server starts in the foreground.
set -e
if [ "${1#-}" != "$1" ]; then
  set -- mariadbd "$@"
fi
case "$1" in mariadbd | mysqld) ;; *) exec "$@" ;; esac

datadir=/var/lib/mysql
for arg in "$@"; do
  case "$arg" in --datadir=*) datadir="${arg#--datadir=}" ;; esac
done
root_password="${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}"
allow_empty="${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-${MYSQL_ALLOW_EMPTY_PASSWORD:-}}"
database="${MARIADB_DATABASE:-${MYSQL_DATABASE:-}}"
user="${MARIADB_USER:-${MYSQL_USER:-}}"
password="${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}"
mkdir -p /run/mysqld "$datadir"
if [ "$(id -u)" = 0 ]; then chown mysql:mysql /run/mysqld "$datadir"; fi

if [ ! -d "$datadir/mysql" ]; then
  if [ -z "$root_password" ] && [ -z "$allow_empty" ]; then
    echo >&2 'error: database is uninitialized and password option is not specified'
    echo >&2 '  You need to specify one of MARIADB_ROOT_PASSWORD or MARIADB_ALLOW_EMPTY_ROOT_PASSWORD'
    exit 1
  fi
  echo 'Initializing database files'
  mariadb-install-db --user=mysql --datadir="$datadir" --skip-test-db --auth-root-authentication-method=normal >/dev/null
  socket=/run/mysqld/init.sock
  "$@" --skip-networking --socket="$socket" --user=mysql --datadir="$datadir" &
  pid=$!
  i=0
  until mariadb --protocol=socket --socket="$socket" -uroot -e 'SELECT 1' >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -gt 60 ]; then echo >&2 'error: temporary server did not start'; exit 1; fi
    sleep 1
  done
  sql="DELETE FROM mysql.user WHERE user='' OR (user='root' AND host NOT IN ('localhost'));"
  sql="$sql CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '$root_password'; GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
  sql="$sql ALTER USER 'root'@'localhost' IDENTIFIED BY '$root_password';"
  if [ -n "$database" ]; then sql="$sql CREATE DATABASE IF NOT EXISTS \`$database\`;"; fi
  if [ -n "$user" ] && [ -n "$password" ]; then
    sql="$sql CREATE USER IF NOT EXISTS '$user'@'%' IDENTIFIED BY '$password';"
    if [ -n "$database" ]; then sql="$sql GRANT ALL ON \`$database\`.* TO '$user'@'%';"; fi
  fi
  mariadb --protocol=socket --socket="$socket" -uroot -e "$sql FLUSH PRIVILEGES;"
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) echo "running $f"; . "$f" ;;
      *.sql) echo "running $f"; mariadb --protocol=socket --socket="$socket" -uroot -p"$root_password" ${database:+"$database"} < "$f" ;;
      *) ;;
    esac
  done
  kill "$pid"
  wait "$pid" || true
  echo 'MariaDB init process done. Ready for start up.'
fi
if [ "$(id -u)" = 0 ]; then
  exec runuser -u mysql -- "$@"
fi
exec "$@"
