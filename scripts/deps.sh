#!/bin/sh
# deps.sh - install the Debian packages ptyscript needs, if any is missing.
# usage: scripts/deps.sh [build|test|bench|check]   (the Makefile calls it)
#   build: compiler, Lua 5.4, libev, PCRE2, libvterm
#   test:  + busted, bc, python3, OpenSSH's client and server
#          (spec/login_spec.lua starts an sshd), and the full-screen
#          programs the screen specs drive (vim, less, dialog)
#   bench: + Tcl Expect and pexpect for the side-by-side benchmark
#   check: + clang and its libFuzzer/sanitizer runtimes, valgrind (make
#          check-asan, check-valgrind, fuzz; gcc's libasan comes with gcc)
set -eu
want="gcc make pkg-config liblua5.4-dev lua5.4 libev-dev libpcre2-dev libvterm-dev"
case "${1:-build}" in
  test)  want="$want lua-busted bc python3 procps luarocks openssh-client openssh-server vim less dialog" ;;
  bench) want="$want expect python3-pexpect bc" ;;
  check) want="$want lua-busted bc python3 procps openssh-client openssh-server vim less dialog clang libclang-rt-dev valgrind" ;;
esac
missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps.sh: installing Debian packages:$missing" >&2
if [ "$(id -u)" = 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1; then
  sudo="sudo"
else
  echo "deps.sh: need root to run: apt-get install$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2 || true
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >&2
