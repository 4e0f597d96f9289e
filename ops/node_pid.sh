# Sourced by ops/up and ops/down. node_owns_pid NODE PID: true when PID is alive and still runs
# ModelFleet's NODE (pids get recycled, and a stale pid file must never make us signal a
# stranger). Recognised by the node's own arguments ("worker --id ...", "redis-server"),
# not only by the word "modelfleet": MODELFLEET_BINARY may be any path (a build copied to
# /tmp/mf-test, say), and such a cluster must still stop.
node_owns_pid() {
  local node="$1" pid="$2" cmd
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  cmd=" $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) "
  case "$node" in
    redis) [[ "$cmd" == *redis-server* ]] ;;
    *) [[ "$cmd" == *" ${node%%-[0-9]*} --id "* || "$cmd" == *modelfleet* ]] ;;
  esac
}
