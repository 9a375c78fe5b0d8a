#!/usr/bin/env bash
# Starts the machine's PostgreSQL, creates the test role and database, and exports
# DATAGENFLOW_TEST_POSTGRES_URL so the API tests also run against PostgreSQL.
# `source .ci/postgres.sh` keeps the variable in the calling shell; running it prints the URL.

_datagenflow_postgres() {
  local user=datagenflow password=datagenflow database=datagenflow_test
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "postgres.sh: installing PostgreSQL" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  local version port
  version=$(pg_lsclusters -h | awk 'NR==1 {print $1}')
  if [ -z "$version" ]; then
    version=$(ls /usr/lib/postgresql | sort -n | tail -1)
    pg_createcluster "$version" main >/dev/null
  fi
  port=$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')
  if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
    pg_ctlcluster "$version" main start
  fi
  local i
  for i in $(seq 1 50); do
    pg_isready -q -h 127.0.0.1 -p "$port" && break
    sleep 0.2
  done
  pg_isready -q -h 127.0.0.1 -p "$port" || { echo "postgres.sh: PostgreSQL did not start" >&2; return 1; }
  su postgres -c "psql -q -p $port -v ON_ERROR_STOP=1" <<SQL >/dev/null
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$user') THEN
    CREATE ROLE $user LOGIN CREATEDB PASSWORD '$password';
  END IF;
END \$\$;
ALTER ROLE $user CREATEDB;
SQL
  if ! su postgres -c "psql -p $port -tAc \"SELECT 1 FROM pg_database WHERE datname = '$database'\"" | grep -q 1; then
    su postgres -c "createdb -p $port -O $user $database"
  fi
  export DATAGENFLOW_TEST_POSTGRES_URL="postgresql://$user:$password@127.0.0.1:$port/$database"
  echo "postgres.sh: DATAGENFLOW_TEST_POSTGRES_URL=$DATAGENFLOW_TEST_POSTGRES_URL" >&2
}

_datagenflow_postgres
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  echo "$DATAGENFLOW_TEST_POSTGRES_URL"
fi
