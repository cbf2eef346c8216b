#!/usr/bin/env bash
# The official mariadb image's entrypoint semantics, for Debian's MariaDB 10.11:
# MARIADB_* variables (MYSQL_* aliases, *_FILE secrets), initdb.d scripts.
set -eo pipefail

log() { printf '%s [%s] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$1" "$2"; }
note() { log Note "$*"; }
warn() { log Warn "$*" >&2; }
error() { log ERROR "$*" >&2; exit 1; }

# MARIADB_X falls back to MYSQL_X; X_FILE reads the value from a file (Docker secrets).
file_env() {
	local var="$1" mysqlVar="MYSQL_${1#MARIADB_}" def="${2:-}" val=''
	local fileVar="${var}_FILE" mysqlFileVar="${mysqlVar}_FILE"
	if [ "${!var:-}" ] && [ "${!fileVar:-}" ]; then
		error "Both $var and $fileVar are set (but are exclusive)"
	fi
	if [ "${!var:-}" ]; then val="${!var}"
	elif [ "${!fileVar:-}" ]; then val="$(< "${!fileVar}")"
	elif [ "${!mysqlVar:-}" ]; then val="${!mysqlVar}"
	elif [ "${!mysqlFileVar:-}" ]; then val="$(< "${!mysqlFileVar}")"
	else val="$def"
	fi
	export "$var"="$val"
	unset "$fileVar" "$mysqlFileVar"
}

# Options that only print something must not initialise a data directory.
want_help() {
	local arg
	for arg; do
		case "$arg" in -'?'|--help|--print-defaults|-V|--version) return 0 ;; esac
	done
	return 1
}

# One `mariadbd --help` gives the effective datadir and socket (a -v my.cnf or --datadir=
# argument counts) and, like the official image, turns a bad option into a clear error early.
load_config() {
	local help errors
	errors="$(mktemp)"
	if ! help="$("$@" --verbose --help 2> "$errors")"; then
		error $'mariadbd failed while attempting to check config\n\tcommand was: '"$* --verbose --help"$'\n\t'"$(cat "$errors")"
	fi
	rm -f "$errors"
	DATADIR="$(awk '$1 == "datadir" && /^[^ \t]/ { sub(/^[^ \t]+[ \t]+/, ""); print; exit }' <<< "$help")"
	SOCKET="$(awk '$1 == "socket" && /^[^ \t]/ { sub(/^[^ \t]+[ \t]+/, ""); print; exit }' <<< "$help")"
}

# SQL string literal contents: backslashes, newlines and quotes escaped.
sql_escape() {
	local s="${1//\\/\\\\}"
	s="${s//$'\n'/\\n}"
	echo "${s//\'/\\\'}"
}

# mariadb client over the socket; root's password once it has one.
process_sql() {
	local pw=()
	if [ "$1" = '--dont-use-root-password' ]; then shift; else pw=("--password=$MARIADB_ROOT_PASSWORD"); fi
	MYSQL_PWD= mariadb --protocol=socket -uroot -hlocalhost --socket="$SOCKET" "${pw[@]}" --comments "$@"
}

process_init_files() {
	local f db=()
	if [ -n "$MARIADB_DATABASE" ]; then db=(--database="$MARIADB_DATABASE"); fi
	echo
	for f; do
		case "$f" in
			*.sh)
				if [ -x "$f" ]; then note "$0: running $f"; "$f"; else note "$0: sourcing $f"; . "$f"; fi ;;
			*.sql)    note "$0: running $f"; process_sql "${db[@]}" < "$f"; echo ;;
			*.sql.gz) note "$0: running $f"; gunzip -c "$f" | process_sql "${db[@]}"; echo ;;
			*.sql.xz) note "$0: running $f"; xzcat "$f" | process_sql "${db[@]}"; echo ;;
			*)        warn "$0: ignoring $f" ;;
		esac
	done
}

verify_minimum_env() {
	if [ -z "$MARIADB_ROOT_PASSWORD" ] && [ -z "$MARIADB_ROOT_PASSWORD_HASH" ] \
		&& [ -z "$MARIADB_ALLOW_EMPTY_ROOT_PASSWORD" ] && [ -z "$MARIADB_RANDOM_ROOT_PASSWORD" ]; then
		error $'Database is uninitialized and password option is not specified\n\tYou need to specify one of MARIADB_ROOT_PASSWORD, MARIADB_ROOT_PASSWORD_HASH, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD and MARIADB_RANDOM_ROOT_PASSWORD'
	fi
	if [ "$MARIADB_USER" = 'root' ]; then
		error $'MARIADB_USER="root", MARIADB_USER and MARIADB_PASSWORD are for configuring a regular user and cannot be used for the root user\n\tRemove MARIADB_USER="root" and use one of the following to control the root user password:\n\t- MARIADB_ROOT_PASSWORD\n\t- MARIADB_ALLOW_EMPTY_ROOT_PASSWORD\n\t- MARIADB_RANDOM_ROOT_PASSWORD'
	fi
	if [ -n "$MARIADB_USER" ] && [ -z "$MARIADB_PASSWORD" ] && [ -z "$MARIADB_PASSWORD_HASH" ]; then
		warn 'Provide MARIADB_PASSWORD when MARIADB_USER is specified; the user will have no password'
	fi
	if [ -z "$MARIADB_USER" ] && { [ -n "$MARIADB_PASSWORD" ] || [ -n "$MARIADB_PASSWORD_HASH" ]; }; then
		warn 'MARIADB_PASSWORD is set without MARIADB_USER; it is ignored'
	fi
}

init_database() {
	verify_minimum_env
	# Fail now rather than half-way through an init if the scripts are unreadable.
	ls /docker-entrypoint-initdb.d/ > /dev/null

	note 'Initializing database files'
	mariadb-install-db --datadir="$DATADIR" --rpm --auth-root-authentication-method=normal "${@:2}" \
		--skip-test-db --old-mode='UTF8_IS_UTF8MB3' --default-time-zone=SYSTEM --enforce-storage-engine= \
		--skip-log-bin --expire-logs-days=0 \
		--loose-innodb_buffer_pool_load_at_startup=0 --loose-innodb_buffer_pool_dump_at_shutdown=0
	note 'Database files initialized'

	# A socket-only server for the setup. The emulated lab is slow: wait as long as it lives.
	note 'Starting temporary server'
	"$@" --skip-networking --default-time-zone=SYSTEM --socket="$SOCKET" --wsrep_on=OFF --expire-logs-days=0 \
		--skip-slave-start --loose-innodb_buffer_pool_load_at_startup=0 &
	local pid=$! i
	for i in $(seq 600); do
		if process_sql --dont-use-root-password --database=mysql <<< 'SELECT 1' &> /dev/null; then break; fi
		kill -0 "$pid" 2> /dev/null || error 'Unable to start server.'
		sleep 1
	done
	process_sql --dont-use-root-password --database=mysql <<< 'SELECT 1' > /dev/null || error 'Unable to start server.'
	note 'Temporary server started.'

	# Time zone tables from tzdata, as the official image (MARIADB_INITDB_SKIP_TZINFO=1 skips it).
	if [ -z "$MARIADB_INITDB_SKIP_TZINFO" ] && [ -d /usr/share/zoneinfo ]; then
		mariadb-tzinfo-to-sql --skip-write-binlog /usr/share/zoneinfo | process_sql --dont-use-root-password --database=mysql
	fi
	if [ -n "$MARIADB_RANDOM_ROOT_PASSWORD" ]; then
		MARIADB_ROOT_PASSWORD="$(LC_ALL=C tr -dc 'A-Za-z0-9,._+:@%-' < /dev/urandom | head -c 32 || :)"
		export MARIADB_ROOT_PASSWORD
		note "GENERATED ROOT PASSWORD: $MARIADB_ROOT_PASSWORD"
	fi

	local rootAuth rootHost rootSql='' userAuth dbSql='' userSql=''
	rootAuth="IDENTIFIED BY '$(sql_escape "$MARIADB_ROOT_PASSWORD")'"
	[ -n "$MARIADB_ROOT_PASSWORD_HASH" ] && rootAuth="IDENTIFIED BY PASSWORD '$MARIADB_ROOT_PASSWORD_HASH'"
	if [ "$MARIADB_ROOT_HOST" != 'localhost' ]; then
		rootHost="'root'@'$(sql_escape "$MARIADB_ROOT_HOST")'"
		rootSql="CREATE USER $rootHost $rootAuth; GRANT ALL ON *.* TO $rootHost WITH GRANT OPTION;"
		rootSql+=" GRANT PROXY ON ''@'%' TO $rootHost WITH GRANT OPTION;"
	fi
	if [ -n "$MARIADB_DATABASE" ]; then
		note "Creating database ${MARIADB_DATABASE}"
		dbSql="CREATE DATABASE IF NOT EXISTS \`${MARIADB_DATABASE//\`/\`\`}\`;"
	fi
	if [ -n "$MARIADB_USER" ]; then
		note "Creating user ${MARIADB_USER}"
		userAuth="IDENTIFIED BY '$(sql_escape "$MARIADB_PASSWORD")'"
		[ -n "$MARIADB_PASSWORD_HASH" ] && userAuth="IDENTIFIED BY PASSWORD '$MARIADB_PASSWORD_HASH'"
		userSql="CREATE USER '$(sql_escape "$MARIADB_USER")'@'%' $userAuth;"
		if [ -n "$MARIADB_DATABASE" ]; then
			note "Giving user ${MARIADB_USER} access to schema ${MARIADB_DATABASE}"
			userSql+=" GRANT ALL ON \`${MARIADB_DATABASE//\`/\`\`}\`.* TO '$(sql_escape "$MARIADB_USER")'@'%';"
		fi
	fi
	# root@localhost (socket) and root@MARIADB_ROOT_HOST ('%': every other container) share a password.
	note 'Securing system users (equivalent to running mysql_secure_installation)'
	process_sql --dont-use-root-password --database=mysql --binary-mode <<-EOSQL
		SET @@SESSION.SQL_LOG_BIN=0;
		SET @@SESSION.SQL_MODE=REPLACE(@@SESSION.SQL_MODE, 'NO_BACKSLASH_ESCAPES', '');
		DROP USER IF EXISTS root@'127.0.0.1', root@'::1';
		EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS root@\'', @@hostname,'\'');
		ALTER USER 'root'@'localhost' $rootAuth;
		$rootSql
		$dbSql
		$userSql
	EOSQL

	process_init_files /docker-entrypoint-initdb.d/*

	note 'Stopping temporary server'
	kill "$pid"
	wait "$pid" || :
	note 'Temporary server stopped'
	echo
	note 'MariaDB init process done. Ready for start up.'
	echo
}

# `docker run mariadb:10.11 --character-set-server=utf8mb4`: options are for the server.
if [ "${1:0:1}" = '-' ]; then
	set -- mariadbd "$@"
fi

if { [ "$1" = 'mariadbd' ] || [ "$1" = 'mysqld' ]; } && ! want_help "$@"; then
	note "Entrypoint script for MariaDB Server $(mariadbd --version 2> /dev/null | awk '{print $3}') started."
	load_config "$@"
	file_env MARIADB_ROOT_HOST '%'
	file_env MARIADB_DATABASE
	file_env MARIADB_USER
	file_env MARIADB_PASSWORD
	file_env MARIADB_PASSWORD_HASH
	file_env MARIADB_ROOT_PASSWORD
	file_env MARIADB_ROOT_PASSWORD_HASH
	file_env MARIADB_ALLOW_EMPTY_ROOT_PASSWORD
	file_env MARIADB_RANDOM_ROOT_PASSWORD
	file_env MARIADB_INITDB_SKIP_TZINFO

	if [ "$(id -u)" = '0' ]; then
		# A fresh named volume belongs to root: hand it to mysql, then rerun this script as mysql.
		mkdir -p "$DATADIR" "$(dirname "$SOCKET")"
		find "$DATADIR" "$(dirname "$SOCKET")" \! -user mysql -exec chown mysql: '{}' +
		note 'Switching to dedicated user mysql'
		exec gosu mysql "$BASH_SOURCE" "$@"
	fi

	if [ -d "$DATADIR/mysql" ]; then
		note 'MariaDB data directory appears to contain a database; skipping initialization'
	else
		init_database "$@"
	fi
fi

# exec: the server becomes PID 1 and receives docker stop's signal itself.
exec "$@"
