# shellcheck shell=bash
# The project's code: clone the repo (or fetch into the clone an earlier boot made) and check out
# the ref. Sourced by first-boot (and the bats tests), never run.

# The scratch directory for git's errors; set by first-boot (or a test).
declare -g scratch

# git_in DIR ARGS...: git in DIR, which root may work in although the run user owns it.
git_in() {
  local dir="$1"
  shift
  # Root works in a tree the run user owns: say that is intended. Stalled transfers abort.
  GIT_TERMINAL_PROMPT=0 git -c safe.directory="$dir" -c http.lowSpeedLimit=1000 \
    -c http.lowSpeedTime=60 -C "$dir" "$@"
}

# checkout_repo REPO REF DIR: clones REPO into DIR, or fetches into the clone already there, and
# checks out REF (a branch, a tag or a commit) detached. Returns 1 with the error in
# $scratch/git.err when any step fails. Callers test it with `||`, which turns errexit off in here
# (bash's rule): every step ends in `|| return 1`.
checkout_repo() {
  local repo="$1" ref="$2" dir="$3" commit
  if [[ -d "$dir/.git" ]]; then
    log "fetching $repo into the existing $dir"
    git_in "$dir" remote set-url origin "$repo" 2>"$scratch/git.err" || return 1
    git_in "$dir" fetch --quiet --prune --tags --force origin '+refs/heads/*:refs/remotes/origin/*' \
      2>"$scratch/git.err" || return 1
  else
    log "cloning $repo into $dir"
    mkdir -p "$dir" 2>"$scratch/git.err" || return 1
    git_in "$dir" clone --quiet --no-checkout -- "$repo" "$dir" 2>"$scratch/git.err" || return 1
  fi
  commit="$(git_in "$dir" rev-parse -q --verify "refs/remotes/origin/$ref^{commit}" ||
    git_in "$dir" rev-parse -q --verify "refs/tags/$ref^{commit}" ||
    git_in "$dir" rev-parse -q --verify "$ref^{commit}")" || {
    # A commit no branch or tag points at: ask the server for it by name.
    git_in "$dir" fetch --quiet origin "$ref" 2>"$scratch/git.err" || return 1
    commit="$(git_in "$dir" rev-parse -q --verify 'FETCH_HEAD^{commit}')" || return 1
  }
  git_in "$dir" checkout --quiet --force --detach "$commit" 2>"$scratch/git.err" || return 1
}
