#!/bin/sh
# Start one Tandem part, or run its migrations. The part's settings come from the environment
# (e.g. MATCHING_DATABASE_URL, MATCHING_NATS_URL, MATCHING_JWKS_URL); see docs/architecture.md.
set -eu
part="${1:-gateway}"
case "$part" in
  migrate)
    target="${2:?usage: migrate <part>}"
    prefix=$(echo "$target" | tr '[:lower:]' '[:upper:]')
    url=$(printenv "${prefix}_DATABASE_URL")
    case "$target" in gateway) dir=/app/gateway ;; *) dir=/app/services/$target ;; esac
    exec alembic -c "$dir/alembic.ini" -x url="$url" upgrade head
    ;;
  gateway|matching|scheduling|consent|analytics)
    exec uvicorn "tandem_${part}.app:create_app" --factory --host 0.0.0.0 --port "${PORT:-8000}" \
      --proxy-headers --no-access-log --timeout-keep-alive 75  # > the gateway's 30 s upstream idle time
    ;;
  *)
    echo "unknown part: $part (gateway|matching|scheduling|consent|analytics|migrate <part>)" >&2
    exit 2
    ;;
esac
