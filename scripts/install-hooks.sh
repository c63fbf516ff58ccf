#!/usr/bin/env bash
# Points this checkout's git at scripts/hooks (core.hooksPath), so that a
# contributor's commits get the project's subject check (scripts/hooks/commit-msg).
# Run by scripts/install.sh. Only in this project's own checkout (the work
# tree's top is this script's parent, not a repository that merely holds a
# copy of it), only when core.hooksPath is unset (hooks set up otherwise are
# the contributor's own), and never an error: without git, or outside a work
# tree, there is nothing to do.
cd "$(dirname "$0")/.." || exit 0

say() { printf '\033[1muringscope setup:\033[0m %s\n' "$*" >&2; }

command -v git >/dev/null 2>&1 || exit 0
# install.sh runs as root, the checkout is usually a contributor's: git refuses
# a repository another user owns, and a config git rewrote as root would be
# root's, so git runs as the checkout's owner.
as_owner=()
owner=$(stat -c %U . 2>/dev/null)
if [ "$(id -u)" -eq 0 ] && [ -n "$owner" ] && [ "$owner" != root ] && command -v runuser >/dev/null 2>&1; then
  as_owner=(runuser -u "$owner" --)
fi
g() { "${as_owner[@]}" git "$@" 2>/dev/null; }

if ! top=$(g rev-parse --show-toplevel); then
  [ -e .git ] && say "git: cannot read this checkout's repository: run \`git config core.hooksPath scripts/hooks\` in $PWD to have commit subjects checked"
  exit 0
fi
[ "$top" -ef . ] || exit 0
current=$(g config --get core.hooksPath)
case $current in
  '')
    if g config core.hooksPath scripts/hooks; then
      say "git: core.hooksPath = scripts/hooks (commit subjects are checked: scripts/hooks/commit-msg)"
    else
      say "git: could not set core.hooksPath: run \`git config core.hooksPath scripts/hooks\` in $PWD to have commit subjects checked"
    fi ;;
  scripts/hooks) ;;
  *) say "git: core.hooksPath is $current, left alone (scripts/hooks/commit-msg checks commit subjects)" ;;
esac
exit 0
