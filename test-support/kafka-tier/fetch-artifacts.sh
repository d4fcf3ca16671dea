#!/usr/bin/env bash
# Resolves the kafka tier's Java artifacts from Maven Central into a cache outside git:
#
#   <cache>/kafka-libs/                              Kafka broker (KRaft) + Connect runtime classpath
#   <cache>/plugins/debezium-connector-postgres/     Debezium PostgreSQL connector (Connect plugin.path)
#
# <cache> = ${STRANGLER_KAFKA_TIER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/strangler/kafka-tier/kafka-<v>_debezium-<v>}
# Versions come from versions.env (override with KAFKA_VERSION=... DEBEZIUM_VERSION=...).
#
# Idempotent: a complete cache (marker file .complete with the current ARTIFACT_LAYOUT) is
# reused as is; --force re-resolves.
# Needs java (17+) and mvn on PATH, and network access to Maven Central on the first run.
# Prints the cache directory as the last line of stdout.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ENV_KAFKA_VERSION="${KAFKA_VERSION:-}"
ENV_DEBEZIUM_VERSION="${DEBEZIUM_VERSION:-}"
# shellcheck source=versions.env
source "$HERE/versions.env"
KAFKA_VERSION="${ENV_KAFKA_VERSION:-$KAFKA_VERSION}"
DEBEZIUM_VERSION="${ENV_DEBEZIUM_VERSION:-$DEBEZIUM_VERSION}"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/strangler/kafka-tier"
CACHE="${STRANGLER_KAFKA_TIER_CACHE:-$CACHE_ROOT/kafka-${KAFKA_VERSION}_debezium-${DEBEZIUM_VERSION}}"
FORCE=0
[[ "${1:-}" == "--force" ]] && FORCE=1

log() { echo "[kafka-tier] $*" >&2; }

if [[ -f "$CACHE/.complete" && "$(cat "$CACHE/.complete")" == "layout=$ARTIFACT_LAYOUT" && $FORCE -eq 0 ]]; then
  log "artifacts already present in $CACHE ($(ls "$CACHE/kafka-libs" | wc -l) kafka jars, $(ls "$CACHE/plugins/debezium-connector-postgres" | wc -l) debezium plugin jars); nothing to do"
  echo "$CACHE"
  exit 0
fi

mkdir -p "$(dirname "$CACHE")"
command -v java >/dev/null || { log "java not found on PATH (need Java 17+)"; exit 2; }
command -v mvn >/dev/null || { log "mvn not found on PATH (need Maven 3.6+)"; exit 2; }

STAGE="$(mktemp -d "$(dirname "$CACHE")/.stage.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT

MVN=(mvn --batch-mode --no-transfer-progress -q -Dstyle.color=never)
plain() { sed 's/\x1b\[[0-9;]*m//g' >&2; } # Maven 3.8 prints colour resets even in batch mode

log "resolving Kafka ${KAFKA_VERSION} (broker + Connect runtime) from Maven Central ..."
"${MVN[@]}" -f "$HERE/maven/kafka-pom.xml" -Dkafka.version="$KAFKA_VERSION" \
  dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$STAGE/kafka-libs" 2>&1 | plain

log "resolving Debezium ${DEBEZIUM_VERSION} PostgreSQL connector from Maven Central ..."
# Kafka's own APIs and slf4j come from the Connect classpath (Connect loads them parent-first).
# Jackson too, as in Debezium's own plugin archives: Debezium's converters reflect on Kafka's
# JsonConverter methods that take Jackson types, which must then be the same classes.
"${MVN[@]}" -f "$HERE/maven/debezium-pom.xml" -Ddebezium.version="$DEBEZIUM_VERSION" \
  dependency:copy-dependencies -DincludeScope=runtime -DexcludeGroupIds=org.apache.kafka,org.slf4j,com.fasterxml.jackson.core \
  -DoutputDirectory="$STAGE/plugins/debezium-connector-postgres" 2>&1 | plain

test -f "$STAGE/kafka-libs/kafka_2.13-${KAFKA_VERSION}.jar" || { log "kafka_2.13-${KAFKA_VERSION}.jar missing after resolution"; exit 1; }
test -f "$STAGE/plugins/debezium-connector-postgres/debezium-connector-postgres-${DEBEZIUM_VERSION}.jar" || { log "debezium connector jar missing after resolution"; exit 1; }

cat > "$STAGE/versions.properties" <<PROPS
kafka.version=${KAFKA_VERSION}
debezium.version=${DEBEZIUM_VERSION}
java.version=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.version = //p')
PROPS
echo "layout=$ARTIFACT_LAYOUT" > "$STAGE/.complete"

rm -rf "$CACHE"
mv "$STAGE" "$CACHE"
trap - EXIT
log "done: $(ls "$CACHE/kafka-libs" | wc -l) kafka jars, $(ls "$CACHE/plugins/debezium-connector-postgres" | wc -l) debezium plugin jars, $(du -sh "$CACHE" | cut -f1) in $CACHE"
echo "$CACHE"
