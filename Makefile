# ptyscript - GNU make, no configure step.  `make` builds the command and
# the C module; `make test` runs the busted specs; `make demo` runs an
# example.  Missing Debian packages are installed by scripts/deps.sh.

PKG_CONFIG ?= pkg-config
LUA_PC     ?= lua5.4
LUA        ?= lua5.4
BUSTED     ?= $(LUA) /usr/bin/busted
PREFIX     ?= /usr/local

# Debian's libev-dev ships no .pc file: fall back to -lev.
EV_CFLAGS   = $(shell $(PKG_CONFIG) --cflags libev 2>/dev/null)
EV_LIBS     = $(shell $(PKG_CONFIG) --libs libev 2>/dev/null || echo -lev)
LUA_CFLAGS  = $(shell $(PKG_CONFIG) --cflags $(LUA_PC))
LUA_LIBS    = $(shell $(PKG_CONFIG) --libs $(LUA_PC))
PCRE_CFLAGS = $(shell $(PKG_CONFIG) --cflags libpcre2-8)
PCRE_LIBS   = $(shell $(PKG_CONFIG) --libs libpcre2-8)

WARN = -Wall -Wextra -Wshadow -Wundef -Wwrite-strings -Wstrict-prototypes \
       -Wmissing-prototypes -Wold-style-definition -Wformat=2 \
       $(if $(WERROR),-Werror)
CFLAGS   ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -Isrc -Ibuild
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(LUA_CFLAGS) $(PCRE_CFLAGS) $(EV_CFLAGS)
# Uncomment, or pass SANITIZE=1, for AddressSanitizer + UBSan builds.
ifeq ($(SANITIZE),1)
ALL_CFLAGS += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS    += -fsanitize=address,undefined
endif

LIB_SRC = src/buf.c src/match.c src/pty.c src/spawn.c src/loop.c src/proc.c \
          src/l_core.c src/l_loop.c src/l_proc.c src/l_regex.c src/l_tty.c \
          src/preload.c
LUA_SRC = $(wildcard lua/ptyscript/*.lua)
OBJ     = $(LIB_SRC:src/%.c=build/%.o) build/embedded.o
PIC_OBJ = $(LIB_SRC:src/%.c=build/pic/%.o) build/pic/embedded.o

.PHONY: all deps test demo bench clean install
all: ptyscript ptyscript.so

deps build/.deps: scripts/deps.sh
	@mkdir -p build
	@sh scripts/deps.sh build
	@touch build/.deps

ptyscript: build/main.o $(OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LUA_LIBS) $(PCRE_LIBS) $(EV_LIBS) -lm

# The module takes Lua's symbols from the interpreter that loads it.
ptyscript.so: $(PIC_OBJ)
	$(CC) $(LDFLAGS) -shared -o $@ $^ $(PCRE_LIBS) $(EV_LIBS)

build/embedded.c: scripts/embed.lua $(LUA_SRC) | build/.deps
	$(LUA) scripts/embed.lua $@ $(LUA_SRC)

build/%.o: src/%.c | build/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<
build/embedded.o: build/embedded.c
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<
build/pic/%.o: src/%.c | build/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fPIC -MMD -MP -c -o $@ $<
build/pic/embedded.o: build/embedded.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fPIC -c -o $@ $<

# Build, then automate bc: the first thing to try on a new machine.
demo: all
	./ptyscript scripts/examples/bc.lua

test: all
	@sh scripts/deps.sh test
	@$(BUSTED)

clean:
	rm -rf build ptyscript ptyscript.so bench-results.md

-include $(OBJ:.o=.d) $(PIC_OBJ:.o=.d) build/main.d

# --- Benchmark (issue 3): `make bench` runs scripts/bench/run.py, which
# times ptyscript against the C reference programs (the physical limit)
# and, when installed, Tcl Expect and pexpect (`make bench-deps`).
# BENCH_QUICK=1 for a fast run; BENCH_RUNS=N, BENCH_TASKS=T1,T4 to choose.
.PHONY: bench-deps bench-build
BENCH_CFLAGS = -std=c11 -O2 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-function
BENCH_PROGS = build/bench/rusage build/bench/emit \
              $(patsubst scripts/bench/ref/%.c,build/bench/ref_%,$(wildcard scripts/bench/ref/t*.c))

bench-deps:
	@sh scripts/deps.sh bench

bench-build: all $(BENCH_PROGS)

build/bench/ref_%: scripts/bench/ref/%.c scripts/bench/ref/common.h
	@mkdir -p build/bench
	$(CC) $(BENCH_CFLAGS) -o $@ $<
build/bench/%: scripts/bench/%.c
	@mkdir -p build/bench
	$(CC) $(BENCH_CFLAGS) -o $@ $<

bench: bench-build
	python3 scripts/bench/run.py
