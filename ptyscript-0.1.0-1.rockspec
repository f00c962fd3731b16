-- LuaRocks.  A release: `luarocks install ptyscript` fetches the tag's
-- tarball below and builds it with the Makefile.  A checkout: `luarocks
-- make` builds the directory it is run in (the source below is not
-- fetched then).  Either way the C module (the whole library: its Lua
-- half is inside) and the ptyscript command are installed; doc/ (the man
-- page, the manual) stays with the rock (`luarocks doc ptyscript`).
rockspec_format = "3.0"
package = "ptyscript"
version = "0.1.0-1"
source = {
  url = "https://github.com/ptyscript/ptyscript/archive/refs/tags/v0.1.0.tar.gz",
  dir = "ptyscript-0.1.0",
}
description = {
  summary = "Lua-scriptable process automation: Expect and pexpect in Lua",
  detailed = [[
    Spawn programs on pseudo-terminals, wait for their output with PCRE2
    patterns, answer them, run many sessions at once on one event loop.
  ]],
  homepage = "https://github.com/ptyscript/ptyscript",
  license = "MIT",
}
supported_platforms = { "unix" }
dependencies = {
  "lua >= 5.4, < 5.5",
}
external_dependencies = {
  LIBEV = { header = "ev.h", library = "ev" },
  PCRE2 = { header = "pcre2.h", library = "pcre2-8" },
  VTERM = { header = "vterm.h", library = "vterm" },   -- libvterm: the screen
}
build = {
  type = "make",
  build_target = "all",
  install_target = "install-rock",
  -- Passed to both passes.  DEPS=0: the Makefile neither checks nor
  -- installs system packages (LuaRocks found the libraries).
  variables = {
    DEPS = "0",
    CFLAGS = "$(CFLAGS)",
    LIBFLAG = "$(LIBFLAG)",
    LUA = "$(LUA)",
    LUA_INCDIR = "$(LUA_INCDIR)",
    LIBEV_INCDIR = "$(LIBEV_INCDIR)",
    LIBEV_LIBDIR = "$(LIBEV_LIBDIR)",
    PCRE2_INCDIR = "$(PCRE2_INCDIR)",
    PCRE2_LIBDIR = "$(PCRE2_LIBDIR)",
    VTERM_INCDIR = "$(VTERM_INCDIR)",
    VTERM_LIBDIR = "$(VTERM_LIBDIR)",
  },
  install_variables = {
    LIBDIR = "$(LIBDIR)",
    BINDIR = "$(BINDIR)",
  },
}
