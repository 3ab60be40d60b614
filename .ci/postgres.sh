# Sourced by .ci/run (and by hand: `source .ci/postgres.sh`): a real PostgreSQL for the sync
# tests, from Debian's packages when absent, on a free local port, stopped when the shell exits.
# Exports UNCI_TEST_POSTGRES_DSN. initdb refuses to run as root, so as root the server runs as
# the postgres user the package creates.
unci_pg_start() {
  local initdb
  initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$initdb" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "installing PostgreSQL from the Debian packages (the sync tests load into it)"
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
      initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
    fi
    if [ -z "$initdb" ]; then
      echo "no PostgreSQL server found (apt-get install postgresql); its tests will not run" >&2
      return 0
    fi
  fi
  local bin run_as=() port password
  bin=$(dirname "$initdb")
  UNCI_PG_DIR=$(mktemp -d /tmp/unci-pg.XXXXXX)
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$UNCI_PG_DIR"
    run_as=(runuser -u postgres --)
  fi
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  password=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
  printf '%s\n' "$password" > "$UNCI_PG_DIR/pw"
  if [ "$(id -u)" = 0 ]; then chown postgres "$UNCI_PG_DIR/pw"; fi
  "${run_as[@]}" "$bin/initdb" -D "$UNCI_PG_DIR/data" -U postgres --pwfile="$UNCI_PG_DIR/pw" \
    -A scram-sha-256 >/dev/null
  rm -f "$UNCI_PG_DIR/pw"
  "${run_as[@]}" "$bin/pg_ctl" -D "$UNCI_PG_DIR/data" -l "$UNCI_PG_DIR/data/server.log" -w \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $UNCI_PG_DIR/data -c fsync=off" start >/dev/null
  UNCI_PG_CTL=("${run_as[@]}" "$bin/pg_ctl" -D "$UNCI_PG_DIR/data" -m fast -w)
  export UNCI_TEST_POSTGRES_DSN="postgresql://postgres:$password@127.0.0.1:$port/postgres"
  trap unci_pg_stop EXIT
}

unci_pg_stop() {
  if [ -n "${UNCI_PG_DIR:-}" ]; then
    "${UNCI_PG_CTL[@]}" stop >/dev/null 2>&1 || true
    rm -rf "$UNCI_PG_DIR"
    UNCI_PG_DIR=
  fi
}

unci_pg_start
