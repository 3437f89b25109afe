#!/usr/bin/env bash
# Publish a built site and its search index as a new release, then switch `current` to it.
#
#   publish.sh OUTPUT_DIR INDEX_DIR
#
# Environment:
#   DEPLOY_PATH  release root on the web server, e.g. /srv/chenglai            (required)
#   DEPLOY_HOST  user@host reached by ssh; empty publishes to a local path        (optional)
#   KEEP         how many releases to keep for rollback (default 14)
#   RELEASE_ID   label of the release (default: UTC time + short commit)
#   RELOAD_CMD   run on the server after the switch, e.g. "sudo systemctl reload chenglai-search"
#
# Layout on the server (nginx serves current/site; the search service reads current/index):
#   $DEPLOY_PATH/releases/<id>/{site,index,RELEASE}
#   $DEPLOY_PATH/current -> releases/<id>
#
# Each release is complete, with unchanged files hard-linked to the previous release (rsync
# --link-dest), so a release costs only what changed and the switch is one atomic rename:
# a reader sees the old site or the new one, never half of each. Files are compared by content
# (--checksum), never by rsync's quick check (size + mtime): that would link an old page over a
# new one of the same size written in the same second — and an old page may name a debtor who
# has since been removed. Modification times are not copied (no -t): a fresh CI build stamps
# every file anew, and an unchanged page should stay linked (and keep its old Last-Modified).
set -euo pipefail

out=${1:?usage: publish.sh OUTPUT_DIR INDEX_DIR}
index=${2:?usage: publish.sh OUTPUT_DIR INDEX_DIR}
dest=${DEPLOY_PATH:?DEPLOY_PATH is not set}
host=${DEPLOY_HOST:-}
keep=${KEEP:-14}
sha=${GIT_SHA:-$(git rev-parse --short HEAD 2>/dev/null || echo manual)}
release=${RELEASE_ID:-$(date -u +%Y%m%dT%H%M%SZ)-${sha:0:12}}

[ -f "$out/index.html" ] || { echo "publish: $out/index.html missing: build first (chenglai build -o $out)" >&2; exit 1; }
[ -d "$index" ] || { echo "publish: search index $index missing" >&2; exit 1; }
case $release in */* | .* | "") echo "publish: bad RELEASE_ID $release" >&2; exit 1 ;; esac

on_server() {  # run a command where the releases live
  if [ -n "$host" ]; then ssh -o BatchMode=yes "$host" "$1"; else bash -c "$1"; fi
}
at_server() {  # rsync destination
  if [ -n "$host" ]; then printf '%s:%s' "$host" "$1"; else printf '%s' "$1"; fi
}

on_server "mkdir -p '$dest/releases/$release' && test ! -e '$dest/releases/$release/site'" || {
  echo "publish: release $release exists already" >&2; exit 1; }

link_site=() link_index=()
if on_server "test -d '$dest/current/site'"; then
  link_site=(--link-dest="$dest/current/site")
  link_index=(--link-dest="$dest/current/index")
fi
rsync -rlpD --checksum --delete "${link_site[@]}" "$out/" "$(at_server "$dest/releases/$release/site/")"
rsync -rlpD --checksum --delete "${link_index[@]}" "$index/" "$(at_server "$dest/releases/$release/index/")"
printf 'release=%s\ncommit=%s\npublished_at=%s\n' "$release" "$sha" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" |
  on_server "cat > '$dest/releases/$release/RELEASE'"

# atomic switch: a new link renamed over the old one
on_server "ln -sfn 'releases/$release' '$dest/current.new' && mv -T '$dest/current.new' '$dest/current'"
echo "publish: current -> releases/$release"

# keep the newest $keep releases (names sort by time), never the current one
on_server "cd '$dest/releases' && cur=\$(basename \"\$(readlink '$dest/current')\") && ls -1 | sort | head -n -$keep | grep -vxF \"\$cur\" | xargs -r rm -rf --"

if [ -n "${RELOAD_CMD:-}" ]; then
  on_server "$RELOAD_CMD"
fi
