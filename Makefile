# ptyscript - GNU make, no configure step.  `make` builds the command and
# the C module; `make test` runs the busted specs; `make demo` runs an
# example.  scripts/deps.sh installs missing Debian packages, or, on
# systems without dpkg, names the libraries pkg-config does not find.
# `make PORTABLE=1` uses only the POSIX fallbacks of the Linux-only calls
# (src/portable.h; other systems always do).

PKG_CONFIG ?= pkg-config
PREFIX     ?= /usr/local
UNAME_S    := $(shell uname -s)
PORTABLE_DEFS = -DPTYSCRIPT_NO_CLOSE_RANGE -DPTYSCRIPT_NO_PIDFD \
                -DPTYSCRIPT_POSIX_PTY -DPTYSCRIPT_NO_PIPE2 \
                -DPTYSCRIPT_NO_PROC -DPTYSCRIPT_NO_AFFINITY

# Looked up when first used (after deps.sh has installed what was
# missing), then kept.  Lua 5.4's pkg-config name is lua5.4 (Debian),
# lua-5.4 (FreeBSD), lua54 (Arch) or lua (Fedora, Homebrew: if it is
# 5.4); the interpreter's name too.  The interpreter compiles the Lua half
# to bytecode for the library it links: it must be the same 5.4.
LUA_PC ?= $(eval LUA_PC := $(firstword \
  $(foreach p,lua5.4 lua-5.4 lua54,$(if $(shell $(PKG_CONFIG) --exists $(p) 2>/dev/null && echo y),$(p))) \
  $(shell case "`$(PKG_CONFIG) --modversion lua 2>/dev/null`" in (5.4*) echo lua;; esac) lua5.4))$(LUA_PC)
LUA ?= $(eval LUA := $(firstword \
  $(foreach c,lua5.4 lua54 lua-5.4,$(shell command -v $(c) 2>/dev/null)) \
  $(shell lua -e 'os.exit(_VERSION == "Lua 5.4")' 2>/dev/null && echo lua) lua5.4))$(LUA)
# busted through Lua 5.4, decided when it runs: deps.sh may have just
# installed it (make would have looked before, and kept what it saw), and
# Debian's /usr/bin/busted runs whatever `lua` is (5.1, once lua-busted
# pulled it in).
BUSTED ?= sh -c 'if [ -x /usr/bin/busted ]; then exec $(LUA) /usr/bin/busted "$$@"; \
  else exec busted "$$@"; fi' busted

# Where LuaRocks (the rockspec) found each library, or given by hand for
# a library outside the compiler's paths: LUA_INCDIR, LIBEV_INCDIR and
# LIBEV_LIBDIR, PCRE2_INCDIR/LIBDIR, VTERM_INCDIR/LIBDIR; LUA_LIBDIR with
# LUALIB (liblua5.4.a, say) for the Lua the command links.  Otherwise
# pkg-config.
EXT_CFLAGS  = $(patsubst %,-I%,$(filter-out /usr/include,$(sort $(LIBEV_INCDIR) $(PCRE2_INCDIR) $(VTERM_INCDIR))))
EXT_LDFLAGS = $(patsubst %,-L%,$(sort $(LIBEV_LIBDIR) $(PCRE2_LIBDIR) $(VTERM_LIBDIR)))
# Debian's libev-dev ships no .pc file: fall back to -lev.
EV_CFLAGS   = $(shell $(PKG_CONFIG) --cflags libev 2>/dev/null)
EV_LIBS     = $(shell $(PKG_CONFIG) --libs libev 2>/dev/null || echo -lev)
LUA_CFLAGS  = $(if $(LUA_INCDIR),-I$(LUA_INCDIR),$(shell $(PKG_CONFIG) --cflags $(LUA_PC) 2>/dev/null))
LUA_LIBS    = $(if $(LUALIB),$(LUA_LIBDIR:%=-L%) -l$(patsubst lib%,%,$(basename $(LUALIB))),$(shell \
              $(PKG_CONFIG) --libs $(LUA_PC) 2>/dev/null || echo -llua5.4))
LUA_LIBDIR_FOUND = $(or $(LUA_LIBDIR),$(shell $(PKG_CONFIG) --variable=libdir $(LUA_PC) 2>/dev/null))
LUA_LIB_A   = $(wildcard $(LUA_LIBDIR_FOUND)/lib$(patsubst -l%,%,$(firstword $(filter -l%,$(LUA_LIBS)))).a)
# The command links Lua's static library where there is one (Debian's
# liblua5.4-dev ships it): non-PIC code, called directly rather than
# through the PLT, costs less per round trip than liblua5.4.so (figures:
# scripts/bench/README.md).  Lua's API is exported, so that the C modules
# require loads (lfs, lpeg, ...) find it.  The C module takes Lua's
# symbols from the interpreter that loads it (LIBFLAG: LuaRocks gives its
# own).
ifeq ($(UNAME_S),Darwin)
LUA_LIBS_CMD = $(LUA_LIBS)
LIBFLAG     ?= -bundle -undefined dynamic_lookup
else ifeq ($(UNAME_S),Linux)
LUA_LIBS_STATIC = -Wl,--push-state,-Bstatic $(LUA_LIBS) -Wl,--pop-state
LUA_LIBS_CMD = $(if $(LUA_LIB_A),$(LUA_LIBS_STATIC),$(LUA_LIBS)) \
               -Wl,--export-dynamic-symbol=lua* -ldl
else
LUA_LIBS_CMD = -Wl,-E $(LUA_LIBS)
endif
LIBFLAG     ?= -shared
PCRE_CFLAGS = $(shell $(PKG_CONFIG) --cflags libpcre2-8 2>/dev/null)
PCRE_LIBS   = $(shell $(PKG_CONFIG) --libs libpcre2-8 2>/dev/null || echo -lpcre2-8)
# libvterm (the screen emulator, src/vt*.c): Debian's libvterm-dev has a
# vterm.pc; fall back to -lvterm where it has none.
VTERM_CFLAGS = $(shell $(PKG_CONFIG) --cflags vterm 2>/dev/null)
VTERM_LIBS   = $(shell $(PKG_CONFIG) --libs vterm 2>/dev/null || echo -lvterm)

WARN = -Wall -Wextra -Wshadow -Wundef -Wwrite-strings -Wstrict-prototypes \
       -Wmissing-prototypes -Wold-style-definition -Wformat=2 \
       $(if $(WERROR),-Werror)
CFLAGS   ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -Isrc -Ibuild $(if $(filter 1,$(PORTABLE)),$(PORTABLE_DEFS))
CPPFLAGS += -DPTYSCRIPT_PREFIX='"$(PREFIX)"'
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(LUA_CFLAGS) $(PCRE_CFLAGS) $(EV_CFLAGS) $(VTERM_CFLAGS) $(EXT_CFLAGS)
LDFLAGS  += $(EXT_LDFLAGS)
# Uncomment, or pass SANITIZE=1, for AddressSanitizer + UBSan builds.
ifeq ($(SANITIZE),1)
ALL_CFLAGS += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS    += -fsanitize=address,undefined
endif

# the screen: libvterm and readers, its guards, its fast path, the grammar
VT_SRC  = src/vt.c src/vt_shield.c src/vt_fast.c src/vt_track.c
LIB_SRC = src/buf.c src/match.c src/pty.c src/spawn.c src/plumb.c src/env.c src/loop.c src/proc.c \
          src/l_core.c src/l_loop.c src/wait.c src/l_wait.c src/l_proc.c src/l_regex.c src/l_tty.c \
          src/account.c src/l_account.c \
          src/cast.c src/l_cast.c $(VT_SRC) src/l_screen.c src/preload.c \
          src/cpus.c src/redact.c src/l_redact.c src/out.c src/l_out.c
LUA_SRC = $(wildcard lua/ptyscript/*.lua)
OBJ     = $(LIB_SRC:src/%.c=build/%.o) build/embedded.o
PIC_OBJ = $(LIB_SRC:src/%.c=build/pic/%.o) build/pic/embedded.o

.PHONY: all deps test test-fast demo bench clean install install-rock uninstall dist FORCE
all: ptyscript ptyscript.so

# A recipe that fails or is interrupted leaves no half-written target
# (an empty ptyscript newer than its objects would look up to date).
.DELETE_ON_ERROR:

# DEPS=0: check and install nothing (LuaRocks has checked).  The
# variables deps.sh reads are passed on.
DEPS ?= 1
DEPS_SH = $(if $(filter 0,$(DEPS)),:,CC='$(CC)' PKG_CONFIG='$(PKG_CONFIG)' \
          LUA_INCDIR='$(LUA_INCDIR)' LIBEV_INCDIR='$(LIBEV_INCDIR)' sh scripts/deps.sh)
deps build/.deps: scripts/deps.sh
	@mkdir -p build
	@$(DEPS_SH) build
	@touch build/.deps

# Make does not see flags: a stamp file holding them is rewritten (made
# newer than the objects) when they change.  Every object is rebuilt when
# PORTABLE changes.
stamp = mkdir -p $(dir $(1)); [ -f $(1) ] && [ "`cat $(1)`" = "$(2)" ] || echo "$(2)" > $(1)
build/.portable: FORCE
	@$(call stamp,$@,$(PORTABLE))
# --help names the manual under PREFIX: main.o follows it.
build/.prefix: FORCE
	@$(call stamp,$@,$(PREFIX))
build/main.o: build/.prefix

ptyscript: build/main.o build/alloc.o $(OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LUA_LIBS_CMD) $(PCRE_LIBS) $(EV_LIBS) $(VTERM_LIBS) -lm

ptyscript.so: $(PIC_OBJ)
	$(CC) $(LDFLAGS) $(LIBFLAG) -o $@ $^ $(PCRE_LIBS) $(EV_LIBS) $(VTERM_LIBS)

build/embedded.c: scripts/embed.lua $(LUA_SRC) | build/.deps
	$(LUA) scripts/embed.lua $@ $(LUA_SRC)

build/%.o: src/%.c build/.portable | build/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<
build/embedded.o: build/embedded.c
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<
build/pic/%.o: src/%.c build/.portable | build/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fPIC -MMD -MP -c -o $@ $<
build/pic/embedded.o: build/embedded.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fPIC -c -o $@ $<

# Build, then automate bc: the first thing to try on a new machine.
demo: all
	./ptyscript scripts/examples/bc.lua

test: all
	@$(DEPS_SH) test
	@$(BUSTED)

# The inner loop: every spec but those tagged #slow (floods, thousands
# of cycles, a rock build): about a minute less.
test-fast: all
	@$(DEPS_SH) test
	@$(BUSTED) --exclude-tags=slow

# The command, the C module (with the Lua half inside it), the Lua
# sources for reading (not on Lua's path: the module is the .so), the man
# page (naming the manual where it is installed), the manual (doc/*.md)
# and the examples.  `make uninstall` (same PREFIX and DESTDIR) removes
# exactly these, then the directories of ours left empty.
LUA_VERSION ?= 5.4
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib/lua/$(LUA_VERSION)
MANDIR  ?= $(PREFIX)/share/man/man1
DOCDIR  ?= $(PREFIX)/share/doc/ptyscript
SHARE    = $(PREFIX)/share/ptyscript
DOCS     = $(wildcard doc/*.md)
EXAMPLES = $(wildcard scripts/examples/*)
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(MANDIR) \
	  $(DESTDIR)$(SHARE)/lua $(DESTDIR)$(DOCDIR)/examples
	install -m755 ptyscript $(DESTDIR)$(BINDIR)/ptyscript
	install -m755 ptyscript.so $(DESTDIR)$(LIBDIR)/ptyscript.so
	install -m644 $(LUA_SRC) $(DESTDIR)$(SHARE)/lua/
	sed -e 's,/usr/local/share/doc/ptyscript,$(DOCDIR),g' \
	  -e 's,/usr/local/lib/lua/5.4,$(LIBDIR),g' doc/ptyscript.1 \
	  > $(DESTDIR)$(MANDIR)/ptyscript.1
	chmod 644 $(DESTDIR)$(MANDIR)/ptyscript.1
	$(if $(DOCS),install -m644 $(DOCS) $(DESTDIR)$(DOCDIR)/)
	for f in $(EXAMPLES); do \
	  if [ -x "$$f" ]; then m=755; else m=644; fi; \
	  install -m$$m "$$f" $(DESTDIR)$(DOCDIR)/examples/ || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ptyscript $(DESTDIR)$(LIBDIR)/ptyscript.so \
	  $(DESTDIR)$(MANDIR)/ptyscript.1 \
	  $(patsubst lua/ptyscript/%,$(DESTDIR)$(SHARE)/lua/%,$(LUA_SRC)) \
	  $(patsubst doc/%,$(DESTDIR)$(DOCDIR)/%,$(DOCS)) \
	  $(patsubst scripts/examples/%,$(DESTDIR)$(DOCDIR)/examples/%,$(EXAMPLES))
	rmdir $(DESTDIR)$(SHARE)/lua $(DESTDIR)$(SHARE) \
	  $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null || :

# What LuaRocks installs (ptyscript-*.rockspec): the module into its
# LIBDIR, the command into its BINDIR.  LuaRocks keeps doc/ (the man page
# and the manual) with the rock: `luarocks doc ptyscript`.
install-rock: all
	install -d $(LIBDIR) $(BINDIR)
	install -m755 ptyscript.so $(LIBDIR)/ptyscript.so
	install -m755 ptyscript $(BINDIR)/ptyscript

# The release tarball as GitHub's archive of the tag v$(VERSION) holds
# it: the files git tracks, under ptyscript-$(VERSION)/.  The rockspec's
# spec (spec/install_spec.lua) builds a rock from it.
VERSION = 0.1.0
DIST   ?= build/ptyscript-$(VERSION).tar.gz
dist:
	@mkdir -p $(dir $(DIST))
	git ls-files -z | tar --null -T - --transform 's,^,ptyscript-$(VERSION)/,' -czf $(DIST)

clean:
	rm -rf build ptyscript ptyscript.so bench-results.md

-include $(OBJ:.o=.d) $(PIC_OBJ:.o=.d) build/main.d

# --- Benchmark: `make bench` runs scripts/bench/run.py, which
# times ptyscript against the C reference programs (the physical limit)
# and, when installed, Tcl Expect and pexpect (`make bench-deps`).
# BENCH_QUICK=1 for a fast run; BENCH_RUNS=N, BENCH_TASKS=T1,T4 to choose.
.PHONY: bench-deps bench-build
BENCH_CFLAGS = -std=c11 -O2 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-function
BENCH_PROGS = build/bench/rusage build/bench/emit build/bench/libev_t4 \
              $(patsubst scripts/bench/ref/%.c,build/bench/ref_%,$(wildcard scripts/bench/ref/t*.c))

bench-deps:
	@$(DEPS_SH) bench

bench-build: all $(BENCH_PROGS)

build/bench/ref_%: scripts/bench/ref/%.c scripts/bench/ref/common.h
	@mkdir -p build/bench
	$(CC) $(BENCH_CFLAGS) -o $@ $<
build/bench/libev_t4: scripts/bench/libev_t4.c scripts/bench/ref/common.h
	@mkdir -p build/bench
	$(CC) $(BENCH_CFLAGS) -o $@ $< -lev
build/bench/%: scripts/bench/%.c
	@mkdir -p build/bench
	$(CC) $(BENCH_CFLAGS) -o $@ $<

bench: bench-build
	python3 scripts/bench/run.py

# --- Reliability: sanitizers, valgrind, fuzzing.
# `make check-asan` builds ptyscript with AddressSanitizer, UBSan and
# LeakSanitizer into build/asan/ (the normal build is untouched) and runs
# the whole spec suite inside it: busted runs as a ptyscript script, so the
# specs' `require "ptyscript"` gets the instrumented library, and
# PTYSCRIPT_BIN makes the specs that run the command use the same binary.
# Every sanitizer report (of busted's process and of each command a spec
# starts) goes to build/asan/log/; any report fails the target.  Then a
# short fuzzing run (FUZZ_SECONDS_ASAN).  This build always uses the
# portable fallbacks (PORTABLE_DEFS: no close_range, no pidfds, POSIX pty
# calls, no /proc...), so that CI runs the whole suite on them too, while
# `make test` runs it on the Linux calls.  Its specs run with the open-
# file limit at ASAN_NOFILE (soft and hard): without close_range a spawn
# closes every number up to the limit, which a high limit makes slow.
# `make check-valgrind` runs a representative subset under memcheck
# (VALGRIND_SPECS); `make fuzz` runs each libFuzzer harness in fuzz/ for
# FUZZ_SECONDS.
.PHONY: check-deps check-asan asan-build check-valgrind fuzz fuzz-build
# clang: its UBSan shares ASan's runtime and honours log_path (gcc's
# libubsan always writes to stderr).  ASAN_CC=gcc works too.
ASAN_CC     ?= clang
UBSAN_RECOVER ?= -fno-sanitize-recover=all
ASAN_CFLAGS  = -std=c11 $(WARN) -O1 -g -fno-omit-frame-pointer \
               -fsanitize=address,undefined $(UBSAN_RECOVER) \
               $(LUA_CFLAGS) $(PCRE_CFLAGS) $(EV_CFLAGS) $(VTERM_CFLAGS)
ASAN_OBJ     = $(LIB_SRC:src/%.c=build/asan/%.o) build/asan/embedded.o
ASAN_LOG     = $(CURDIR)/build/asan/log
# halt_on_error is the default for ASan; UBSan is made fatal at compile
# time (-fno-sanitize-recover).  Reports go to files, not to the stderr
# that specs inspect.  PTYSCRIPT_SANITIZER tells specs that measure memory
# (RSS) that ASan's shadow and quarantine inflate it by design.
ASAN_ENV     = PTYSCRIPT_SANITIZER=address ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:log_path=$(ASAN_LOG)/asan \
               UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$(ASAN_LOG)/ubsan
ASAN_NOFILE  ?= 1024
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SECONDS_ASAN ?= 15
# check-asan's short run is a regression check, not an exploration: a
# fixed seed and number of inputs make it the same on every machine (a
# time limit made it find, now and then, the known PCRE2 quirks listed in
# fuzz/README.md).  `make fuzz` explores: FUZZ_SECONDS, a random seed.
FUZZ_RUNS_ASAN ?= 100000
# vt's inputs are slower (each one goes through two screens): fewer.
FUZZ_RUNS_ASAN_VT ?= 40000
FUZZ_LIMIT ?= -max_total_time=$(FUZZ_SECONDS)
# All of fuzz/*_fuzz.c; one of them with FUZZ_HARNESS=vt, say.
FUZZ_HARNESS ?= $(patsubst fuzz/%_fuzz.c,%,$(wildcard fuzz/*_fuzz.c))
FUZZ_CFLAGS  = -std=c11 -D_GNU_SOURCE -Isrc -Wall -Wextra -O1 -g -fno-omit-frame-pointer \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
               $(PCRE_CFLAGS) $(EV_CFLAGS)
VALGRIND     ?= valgrind
VALGRIND_SPECS ?= spec/match_spec.lua spec/process_spec.lua spec/smoke_spec.lua \
                  spec/lostoutput_spec.lua spec/concurrency_spec.lua

check-deps:
	@$(DEPS_SH) check

build/asan/.defs: FORCE
	@$(call stamp,$@,$(PORTABLE_DEFS) $(UBSAN_RECOVER))
build/asan/%.o: src/%.c build/asan/.defs | build/.deps
	@mkdir -p $(dir $@)
	$(ASAN_CC) $(CPPFLAGS) $(PORTABLE_DEFS) $(ASAN_CFLAGS) -MMD -MP -c -o $@ $<
build/asan/embedded.o: build/embedded.c
	@mkdir -p $(dir $@)
	$(ASAN_CC) $(CPPFLAGS) $(PORTABLE_DEFS) $(ASAN_CFLAGS) -c -o $@ $<
build/asan/ptyscript: build/asan/main.o build/asan/alloc.o $(ASAN_OBJ)
	$(ASAN_CC) -fsanitize=address,undefined -o $@ $^ $(LUA_LIBS) $(PCRE_LIBS) $(EV_LIBS) $(VTERM_LIBS) -lm

asan-build: build/asan/ptyscript

check-asan: all check-deps build/asan/ptyscript fuzz-build
	@$(DEPS_SH) test
	@rm -rf $(ASAN_LOG) && mkdir -p $(ASAN_LOG)
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_SECONDS_ASAN) \
	  FUZZ_HARNESS="$(filter-out vt,$(FUZZ_HARNESS))" \
	  FUZZ_LIMIT="-seed=1 -runs=$(FUZZ_RUNS_ASAN) -max_total_time=$(FUZZ_SECONDS_ASAN)"
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_SECONDS_ASAN) \
	  FUZZ_HARNESS="$(filter vt,$(FUZZ_HARNESS))" \
	  FUZZ_LIMIT="-seed=1 -runs=$(FUZZ_RUNS_ASAN_VT) -max_total_time=$(FUZZ_SECONDS_ASAN)"
	@rc=0; ulimit -n $(ASAN_NOFILE) 2>/dev/null || :; \
	$(ASAN_ENV) PTYSCRIPT_BIN=$(CURDIR)/build/asan/ptyscript \
	  build/asan/ptyscript /usr/bin/busted | tee build/asan/specs.log || rc=$$?; \
	[ "$$(tail -n 1 build/asan/specs.log | grep -c ' 0 failed')" = 1 ] || rc=1; \
	if [ -n "$$(ls -A $(ASAN_LOG))" ]; then \
	  cat $(ASAN_LOG)/*; echo "check-asan: sanitizer reports above (in $(ASAN_LOG))"; exit 1; \
	fi; \
	[ $$rc = 0 ] || { echo "check-asan: the specs failed under ASan"; exit 1; }; \
	echo "check-asan: no sanitizer report; the specs under ASan+UBSan:"; \
	tail -n 1 build/asan/specs.log

-include $(ASAN_OBJ:.o=.d) build/asan/main.d

# The harnesses link the engine's own C files (match.c, and proc.c for
# proc_take, the buffer's own way of keeping what is read).
FUZZ_LINK = src/match.c src/buf.c src/loop.c src/cast.c src/out.c src/redact.c src/proc.c \
            src/wait.c src/cpus.c
build/fuzz/%_fuzz: fuzz/%_fuzz.c $(FUZZ_LINK) src/proc.h src/match.h src/buf.h src/loop.h | build/.deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LINK) $(PCRE_LIBS) $(EV_LIBS)

# The screen's harness needs the screen's files and libvterm, nothing else.
build/fuzz/vt_fuzz: fuzz/vt_fuzz.c $(VT_SRC) src/vt.h src/vt_int.h src/vt_track.h | build/.deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(VTERM_CFLAGS) -o $@ fuzz/vt_fuzz.c $(VT_SRC) $(VTERM_LIBS)

fuzz-build: check-deps $(FUZZ_HARNESS:%=build/fuzz/%_fuzz)

# New inputs go to build/fuzz/corpus/NAME (the seeds in fuzz/corpus/NAME
# are read, never written); crashes to build/fuzz/crash-*.
fuzz: fuzz-build
	@for h in $(FUZZ_HARNESS); do \
	  mkdir -p build/fuzz/corpus/$$h fuzz/corpus/$$h; \
	  echo "fuzz: $$h for $(FUZZ_SECONDS) s"; \
	  build/fuzz/$${h}_fuzz $(FUZZ_LIMIT) -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix=build/fuzz/ build/fuzz/corpus/$$h fuzz/corpus/$$h \
	    > build/fuzz/$$h.log 2>&1 || { tail -n 60 build/fuzz/$$h.log; \
	    echo "fuzz: $$h FAILED (log: build/fuzz/$$h.log)"; exit 1; }; \
	  grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" build/fuzz/$$h.log | tail -n 2; \
	done

# Memcheck over the normal build: busted runs inside ./ptyscript, like
# check-asan.  scripts/valgrind.supp says why each suppression is there.
check-valgrind: all check-deps
	@$(DEPS_SH) test
	$(VALGRIND) -q --error-exitcode=99 --leak-check=full \
	  --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
	  --suppressions=scripts/valgrind.supp ./ptyscript /usr/bin/busted $(VALGRIND_SPECS)
