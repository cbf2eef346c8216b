#!/usr/bin/env bash
# The official postgres image's entrypoint semantics, for Debian's PostgreSQL 15:
# POSTGRES_PASSWORD/USER/DB/INITDB_ARGS/HOST_AUTH_METHOD (and *_FILE), initdb.d scripts.
set -Eeo pipefail

# VAR_FILE=/run/secrets/x reads VAR from a file (Docker secrets), as the official image does.
file_env() {
	local var="$1" fileVar="${1}_FILE" val="${2:-}"
	if [ "${!var:-}" ] && [ "${!fileVar:-}" ]; then
		echo >&2 "error: both $var and $fileVar are set (but are exclusive)"
		exit 1
	fi
	if [ "${!var:-}" ]; then val="${!var}"; elif [ "${!fileVar:-}" ]; then val="$(< "${!fileVar}")"; fi
	export "$var"="$val"
	unset "$fileVar"
}

# Options that only print something must not initialise a data directory.
want_help() {
	local arg
	for arg; do
		case "$arg" in -'?'|--help|--describe-config|-V|--version) return 0 ;; esac
	done
	return 1
}

# psql as the superuser over the local socket (trusted by initdb's default pg_hba.conf).
process_sql() {
	local runner=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
	if [ -n "$POSTGRES_DB" ]; then runner+=(--dbname "$POSTGRES_DB"); fi
	PGHOST= PGHOSTADDR= "${runner[@]}" "$@"
}

process_init_files() {
	local f
	echo
	for f; do
		case "$f" in
			*.sh)
				if [ -x "$f" ]; then echo "$0: running $f"; "$f"; else echo "$0: sourcing $f"; . "$f"; fi ;;
			*.sql)    echo "$0: running $f"; process_sql -f "$f"; echo ;;
			*.sql.gz) echo "$0: running $f"; gunzip -c "$f" | process_sql; echo ;;
			*.sql.xz) echo "$0: running $f"; xzcat "$f" | process_sql; echo ;;
			*)        echo "$0: ignoring $f" ;;
		esac
		echo
	done
}

init_database() {
	if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != 'trust' ]; then
		cat >&2 <<-'EOE'
			Error: Database is uninitialized and superuser password is not specified.
			       You must specify POSTGRES_PASSWORD to a non-empty value for the
			       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".

			       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all
			       connections without a password. This is *not* recommended.

			       See PostgreSQL documentation about "trust":
			       https://www.postgresql.org/docs/current/auth-trust.html
		EOE
		exit 1
	fi
	# Fail now rather than half-way through an init if the scripts are unreadable.
	ls /docker-entrypoint-initdb.d/ > /dev/null

	if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
		POSTGRES_INITDB_ARGS="--waldir $POSTGRES_INITDB_WALDIR $POSTGRES_INITDB_ARGS"
	fi
	# eval: POSTGRES_INITDB_ARGS is a word list, e.g. "--data-checksums --locale=C".
	eval 'initdb --username="$POSTGRES_USER" --pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD") '"$POSTGRES_INITDB_ARGS"

	# Remote clients need the password; the default method follows password_encryption (scram-sha-256).
	: "${POSTGRES_HOST_AUTH_METHOD:=$(postgres -C password_encryption "$@")}"
	{
		echo
		if [ "$POSTGRES_HOST_AUTH_METHOD" = 'trust' ]; then
			echo '# warning trust is enabled for all connections'
			echo '# see https://www.postgresql.org/docs/current/auth-trust.html'
		fi
		echo "host all all all $POSTGRES_HOST_AUTH_METHOD"
	} >> "$PGDATA/pg_hba.conf"

	# A socket-only server for the setup; the emulated lab is slow, so give it time to start.
	export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
	PGUSER="${PGUSER:-$POSTGRES_USER}" pg_ctl -D "$PGDATA" -t "${PGCTLTIMEOUT:-300}" \
		-o "$(printf '%q ' "$@" -c listen_addresses='' -p "${PGPORT:-5432}")" -w start

	if [ -z "$(POSTGRES_DB= process_sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only \
		<<< "SELECT 1 FROM pg_database WHERE datname = :'db' ;")" ]; then
		POSTGRES_DB= process_sql --dbname postgres --set db="$POSTGRES_DB" <<< 'CREATE DATABASE :"db" ;'
		echo
	fi
	process_init_files /docker-entrypoint-initdb.d/*

	PGUSER="${PGUSER:-$POSTGRES_USER}" pg_ctl -D "$PGDATA" -m fast -w stop
	unset PGPASSWORD
	printf '\nPostgreSQL init process complete; ready for start up.\n\n'
}

# `docker run postgres:15 -c shared_buffers=64MB`: options are for the server.
if [ "${1:0:1}" = '-' ]; then
	set -- postgres "$@"
fi

if [ "$1" = 'postgres' ] && ! want_help "$@"; then
	file_env POSTGRES_PASSWORD
	file_env POSTGRES_USER postgres
	file_env POSTGRES_DB "$POSTGRES_USER"
	file_env POSTGRES_INITDB_ARGS
	: "${POSTGRES_HOST_AUTH_METHOD:=}"

	mkdir -p "$PGDATA"
	chmod 00700 "$PGDATA" || :
	mkdir -p /var/run/postgresql
	chmod 03775 /var/run/postgresql || :
	if [ "$(id -u)" = '0' ]; then
		# A fresh named volume belongs to root: hand it to postgres, then rerun this script as postgres.
		find "$PGDATA" \! -user postgres -exec chown postgres '{}' +
		find /var/run/postgresql \! -user postgres -exec chown postgres '{}' +
		exec gosu postgres "$BASH_SOURCE" "$@"
	fi

	if [ -s "$PGDATA/PG_VERSION" ]; then
		printf '\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n'
	else
		shift # the rest are server options, which the setup server gets too
		init_database "$@"
		set -- postgres "$@"
	fi
fi

# exec: the server becomes PID 1 and receives docker stop's signal itself.
exec "$@"
