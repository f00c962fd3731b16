#!/bin/sh
# deps.sh - what ptyscript needs, installed on Debian, named elsewhere.
# usage: scripts/deps.sh [build|test|bench|check]   (the Makefile calls it)
#   build: compiler, Lua 5.4, libev, PCRE2, libvterm
#   test:  + busted, bc, python3, OpenSSH's client and server
#          (spec/login_spec.lua starts an sshd), and the full-screen
#          programs the screen specs drive (vim, less, dialog)
#   bench: + Tcl Expect and pexpect for the side-by-side benchmark
#   check: + clang and its libFuzzer/sanitizer runtimes, valgrind (make
#          check-asan, check-valgrind, fuzz; gcc's libasan comes with gcc)
# On Debian and Ubuntu (dpkg-query and apt-get on PATH) the missing
# packages are installed (as root, or through sudo).  Elsewhere nothing is
# installed: the libraries are looked up with pkg-config (libev by its
# header ev.h: it seldom has a .pc file) and the commands on PATH; what is
# missing is named, with status 1.  Status 0 (and no output) when
# everything is there.  Reads CC, PKG_CONFIG, LUA_INCDIR and LIBEV_INCDIR
# (the Makefile passes them).
set -eu
what=${1:-build}
case $what in
  build|test|bench|check) ;;
  *) echo "usage: deps.sh [build|test|bench|check]" >&2; exit 2 ;;
esac

have() { command -v "$1" >/dev/null 2>&1; }

# --- Debian and Ubuntu: install the missing packages.
debian() {
  want="gcc make pkg-config liblua5.4-dev lua5.4 libev-dev libpcre2-dev libvterm-dev"
  case $what in
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
  elif have sudo; then
    sudo="sudo"
  else
    echo "deps.sh: need root to run: apt-get install$missing" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >&2 || true
  # shellcheck disable=SC2086
  $sudo apt-get install -y -qq --no-install-recommends $missing >&2
  exit 0
}

# --- Elsewhere: look, name what is missing, install nothing.
missing=""
miss() { missing="$missing
  $1"; }

pc=${PKG_CONFIG:-pkg-config}
cc=${CC:-cc}
pc_has() { "$pc" --exists "$1" 2>/dev/null; }

# Whether the compiler finds header $1 (with -I$2 when $2 is set).
cc_has_header() {
  printf '#include <%s>\n' "$1" |
    $cc ${2:+-I"$2"} -E -x c - >/dev/null 2>&1
}

elsewhere() {
  if ! have "${cc%% *}"; then
    miss "a C compiler (C11): $cc"
  fi
  if ! have "$pc"; then
    miss "pkg-config (or pkgconf)"
  else
    lua_pc=""
    for p in lua5.4 lua-5.4 lua54; do
      if pc_has "$p"; then lua_pc=$p; break; fi
    done
    if [ -z "$lua_pc" ]; then
      case $("$pc" --modversion lua 2>/dev/null || :) in
        5.4*) lua_pc=lua ;;
      esac
    fi
    if [ -z "$lua_pc" ] && [ -z "${LUA_INCDIR:-}" ]; then
      miss "lua5.4 (pkg-config name lua5.4, lua-5.4 or lua54): Lua 5.4's headers and library"
    fi
    pc_has libpcre2-8 || miss "libpcre2-8 (pkg-config name): PCRE2, 8-bit"
    pc_has vterm || miss "vterm (pkg-config name): libvterm"
  fi
  if ! { have "$pc" && pc_has libev; } &&
      ! cc_has_header ev.h "${LIBEV_INCDIR:-}"; then
    miss "libev (header ev.h, not found by $cc; give make LIBEV_INCDIR=dir LIBEV_LIBDIR=dir if it is elsewhere)"
  fi
  lua_cmd=""
  for c in lua5.4 lua54 lua-5.4; do
    if have "$c"; then lua_cmd=$c; break; fi
  done
  if [ -z "$lua_cmd" ] &&
      ! lua -e 'os.exit(_VERSION == "Lua 5.4")' >/dev/null 2>&1; then
    miss "lua5.4 (a command: lua5.4, lua54, or lua that is 5.4)"
  fi
  tools=""
  case $what in
    test)  tools="busted bc python3 ps ssh sshd vim less dialog luarocks" ;;
    bench) tools="expect python3 bc" ;;
    check) tools="busted bc python3 ps ssh sshd vim less dialog clang valgrind" ;;
  esac
  for t in $tools; do
    # sshd usually lives outside a user's PATH
    have "$t" || [ -x "/usr/sbin/$t" ] || [ -x "/usr/local/sbin/$t" ] ||
      miss "$t (a command)"
  done
  if [ "$what" = bench ] && have python3 &&
      ! python3 -c 'import pexpect' >/dev/null 2>&1; then
    miss "pexpect (a Python module)"
  fi
  [ -z "$missing" ] && exit 0
  echo "deps.sh: no dpkg/apt-get here, so nothing is installed; not found:$missing" >&2
  echo "deps.sh: install them with the system's packages (FreeBSD: pkg install lua54 pcre2 libvterm libev pkgconf; macOS: brew install lua pcre2 libvterm libev pkg-config), then run make again" >&2
  exit 1
}

if have dpkg-query && have apt-get; then
  debian
else
  elsewhere
fi
