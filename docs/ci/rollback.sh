#!/usr/bin/env bash
# Switch the published site back to an earlier release. Runs ON the web server:
#
#   DEPLOY_PATH=/srv/chenglai rollback.sh [--list] [--force] [RELEASE]
#   ssh deploy@web 'DEPLOY_PATH=/srv/chenglai bash -s' < rollback.sh        # from elsewhere
#
# Without RELEASE: the release before the current one. A release published more than
# MAX_AGE_HOURS ago (default 24) is refused without --force: it may still show debtors who
# were removed or whose term ended since — the law gives three working days to remove them.
# Roll back only to get a broken site off the air, then fix forward (git revert + publish).
set -euo pipefail

dest=${DEPLOY_PATH:?DEPLOY_PATH is not set}
max_age_hours=${MAX_AGE_HOURS:-24}
force=0 list=0 target=""
for arg in "$@"; do
  case $arg in
    --force) force=1 ;;
    --list) list=1 ;;
    -*) echo "rollback: unknown option $arg" >&2; exit 2 ;;
    *) target=$arg ;;
  esac
done

cd "$dest/releases"
current=$(basename "$(readlink "$dest/current")")
mapfile -t releases < <(ls -1 | sort)

if [ "$list" = 1 ]; then
  for r in "${releases[@]}"; do
    mark=" "; [ "$r" = "$current" ] && mark="*"
    echo "$mark $r"
  done
  exit 0
fi

if [ -z "$target" ]; then
  prev=""
  for r in "${releases[@]}"; do
    [ "$r" = "$current" ] && break
    prev=$r
  done
  [ -n "$prev" ] || { echo "rollback: no release before $current" >&2; exit 1; }
  target=$prev
fi
case $target in */* | .* ) echo "rollback: bad release name $target" >&2; exit 2 ;; esac
[ -d "$target/site" ] || { echo "rollback: release $target not found (see --list)" >&2; exit 1; }
[ "$target" != "$current" ] || { echo "rollback: $target is already current" >&2; exit 1; }

stamp="$target/RELEASE"
[ -f "$stamp" ] || stamp="$target/site"
age_hours=$(( ( $(date +%s) - $(stat -c %Y "$stamp") ) / 3600 ))
if [ "$age_hours" -ge "$max_age_hours" ] && [ "$force" = 0 ]; then
  echo "rollback: $target was published ${age_hours} h ago (limit ${max_age_hours} h): it may show records removed or expired since." >&2
  echo "rollback: prefer git revert + publish; use --force only if you have checked the removals since then." >&2
  exit 1
fi

ln -sfn "releases/$target" "$dest/current.new"
mv -T "$dest/current.new" "$dest/current"
echo "rollback: current -> releases/$target (was $current)"
if [ -n "${RELOAD_CMD:-}" ]; then
  bash -c "$RELOAD_CMD"
fi
