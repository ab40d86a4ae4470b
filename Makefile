# sluice — plain Make. `make` builds build/sluice and libsluice (static and
# shared); `make test` runs the whole suite normally and under ASan+UBSan;
# `make demo` runs the main job; `make bench` prints the benchmarks.
#
# Every .c under src/ is part of the library; every .c under cli/ is part of
# the command. Objects go to build/obj (release) or build/asan/obj.

CC      ?= cc
CSTD    := -std=c11 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Werror -Wno-unused-parameter
INC     := -Iinclude -Isrc
OPT     ?= -O2 -g
DEPFLAGS = -MMD -MP
LIBS    := -lrdkafka -lsnappy -lzstd -lz -lpcre2-8 -lmicrohttpd -lrocksdb -lxgboost -lm -lpthread
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIB_SRC := $(shell find src -name '*.c' | sort)
CLI_SRC := $(shell find cli -name '*.c' | sort)
UNIT_SRC := $(shell find tests/unit -name '*.c' | sort)
TOOL_SRC := $(shell find tests/tools -name '*.c' 2>/dev/null | sort)

B := build
ifdef SANITIZE
B := build/asan
OPT := -O1 -g $(SAN)
LDSAN := $(SAN)
endif

LIB_OBJ  := $(LIB_SRC:%.c=$(B)/obj/%.o)
PIC_OBJ  := $(LIB_SRC:%.c=$(B)/pic/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(B)/obj/%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=$(B)/obj/%.o)

CFLAGS_ALL = $(CSTD) $(WARN) $(INC) $(OPT) $(DEPFLAGS) -fvisibility=hidden $(CFLAGS)

.PHONY: all lib test unit demo demo-lecture bench clean deps web check-exports fuzz soak bench-nexmark

all: $(B)/sluice $(B)/libsluice.a $(B)/libsluice.so $(B)/test_unit $(B)/pqtool $(B)/dashboard_fake \
     $(B)/fuzz_replay

lib: $(B)/libsluice.a

$(B)/obj/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -DSL_BUILDING_LIBRARY -c $< -o $@

$(B)/pic/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fPIC -DSL_BUILDING_LIBRARY -c $< -o $@

$(B)/obj/cli/%.o: cli/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -Iinclude $(OPT) $(DEPFLAGS) $(CFLAGS) -c $< -o $@

$(B)/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests -c $< -o $@

$(B)/libsluice.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/libsluice.so: $(PIC_OBJ)
	$(CC) -shared -o $@ $^ $(LDSAN) $(LIBS)

# The command links the static library but sees only include/sluice.h.
$(B)/sluice: $(CLI_OBJ) $(B)/libsluice.a
	$(CC) -o $@ $(CLI_OBJ) $(B)/libsluice.a $(LDSAN) $(LIBS)

# Unit tests see the internal headers.
$(B)/test_unit: $(UNIT_OBJ) $(B)/libsluice.a
	$(CC) -o $@ $(UNIT_OBJ) $(B)/libsluice.a $(LDSAN) $(LIBS)

# Parquet test helper (tests/tools/pqtool.c), used by the parquet script tests.
$(B)/pqtool: $(B)/obj/tests/tools/pqtool.o $(B)/libsluice.a
	$(CC) -o $@ $< $(B)/libsluice.a $(LDSAN) $(LIBS)

# libFuzzer target for the Parquet readers (clang): the parquet and core
# sources only, so a fuzz build does not wait on the rest of the library.
PQ_FUZZ_SRC := $(wildcard src/format/parquet_*.c) src/core/mem.c src/core/status.c \
	src/core/buf.c src/core/options.c src/core/column.c src/core/jdoc.c
build/fuzz/parquet_fuzz: fuzz/parquet_fuzz.c $(PQ_FUZZ_SRC)
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE $(INC) \
	  $^ -lsnappy -lzstd -lz -lm -o $@
# libFuzzer target for the JSON/CSV parsers, writers and text conversions.
FMT_FUZZ_SRC := src/format/format.c src/format/json.c src/format/csv.c src/core/textconv.c \
	src/core/mem.c src/core/status.c src/core/buf.c src/core/options.c src/core/column.c
build/fuzz/format_fuzz: fuzz/format_fuzz.c $(FMT_FUZZ_SRC)
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE $(INC) \
	  $^ -lm -o $@
# The whole library built for libFuzzer (clang), for the targets that need
# more than a few files: SQL (parse, bind, plan, explain), model loading and
# checkpoint files. Warnings are not errors here: gcc is the build of record.
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	-std=c11 -D_GNU_SOURCE $(INC) -fvisibility=hidden -Wall -Wno-unused-parameter
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o)
build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -MMD -MP -DSL_BUILDING_LIBRARY -c $< -o $@
build/fuzz/libsluice.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
build/fuzz/sql_fuzz: tests/fuzz/sql_fuzz.c build/fuzz/libsluice.a
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ $(LIBS) -o $@
build/fuzz/model_fuzz: tests/fuzz/model_fuzz.c build/fuzz/libsluice.a
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ $(LIBS) -o $@
build/fuzz/ckpt_fuzz: fuzz/ckpt_fuzz.c build/fuzz/libsluice.a
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ $(LIBS) -o $@
build/fuzz/jsonfn_fuzz: tests/fuzz/jsonfn_fuzz.c build/fuzz/libsluice.a
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ $(LIBS) -o $@
-include $(wildcard build/fuzz/obj/src/*/*.d build/fuzz/obj/src/*/*/*.d)

# `make fuzz` builds every target and runs each for FUZZ_SECONDS (default 60)
# from its committed corpus (tests/fuzz/run.sh); new inputs go to
# build/fuzz/work, crashers to build/fuzz/crash-*.
FUZZ_TARGETS := sql model format parquet ckpt jsonfn
FUZZ_SECONDS ?= 60
fuzz: $(FUZZ_TARGETS:%=build/fuzz/%_fuzz)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh $(FUZZ_TARGETS)

# Soak (bench/soak.sh): the top-up pipeline (SOAK_PIPELINE=lecture: the
# lecture's) for SOAK_SECONDS (default 600) under the ASan build, RSS sampled
# every second into build/soak/rss.csv.
soak: deps
	@$(MAKE) --no-print-directory SANITIZE=1 build/asan/sluice
	@bash bench/soak.sh

# Every target's entry point linked with the ordinary library (no libFuzzer),
# for the corpus replay in `make test` (tests/scripts/910-fuzz-corpus.sh).
FUZZ_REPLAY_SRC := tests/fuzz/sql_fuzz.c tests/fuzz/model_fuzz.c fuzz/format_fuzz.c \
	fuzz/parquet_fuzz.c fuzz/ckpt_fuzz.c tests/fuzz/jsonfn_fuzz.c
$(B)/fuzz_replay: tests/fuzz/replay.c $(FUZZ_REPLAY_SRC) $(B)/libsluice.a
	@mkdir -p $(B)/obj/fuzz_replay
	@set -e; for f in $(FUZZ_REPLAY_SRC); do t=$$(basename $$f _fuzz.c); \
	  echo "$(CC) ... -DLLVMFuzzerTestOneInput=sl_fuzz_$${t}_one -c $$f"; \
	  $(CC) $(CSTD) $(WARN) $(INC) $(OPT) $(CFLAGS) -DLLVMFuzzerTestOneInput=sl_fuzz_$${t}_one \
	    -c $$f -o $(B)/obj/fuzz_replay/$$t.o; done
	$(CC) $(CSTD) $(WARN) $(INC) $(OPT) $(CFLAGS) -c tests/fuzz/replay.c -o $(B)/obj/fuzz_replay/replay.o
	$(CC) -o $@ $(B)/obj/fuzz_replay/*.o $(B)/libsluice.a $(LDSAN) $(LIBS)

# Dashboard server with a fake provider (tests/tools/dashboard_fake.c), for
# the dashboard script and browser tests.
$(B)/dashboard_fake: $(B)/obj/tests/tools/dashboard_fake.o $(B)/libsluice.a
	$(CC) -o $@ $< $(B)/libsluice.a $(LDSAN) $(LIBS)

# The dashboard's front end: bundles web/ into src/http/web_assets.c (committed,
# so a normal build needs no npm).
web:
	cd web && (npm ci --no-audit --no-fund || npm install --no-audit --no-fund) && node build.mjs

# Benchmark (a): JSON -> columns against simdjson and a memchr floor
# (bench/json.sh runs it).
$(B)/bench/json_bench: bench/json_bench.c bench/json_simdjson.cpp $(B)/libsluice.a
	@mkdir -p $(dir $@)
	g++ -O2 -std=c++17 -c bench/json_simdjson.cpp -o $(B)/bench/json_simdjson.o
	$(CC) $(CSTD) $(WARN) $(INC) $(OPT) $(CFLAGS) -c bench/json_bench.c -o $(B)/bench/json_bench.o
	g++ -o $@ $(B)/bench/json_bench.o $(B)/bench/json_simdjson.o $(B)/libsluice.a -lsimdjson $(LDSAN) $(LIBS)

deps:
	@bash scripts/install-deps.sh

# The whole suite: release build, then the same suite under ASan + UBSan.
test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory SANITIZE=1 all
	@bash tests/run.sh

unit: all
	$(B)/test_unit

demo: deps all
	@bash examples/demo.sh

demo-lecture: deps all
	@bash examples/demo.sh lecture

bench: deps all
	@bash bench/run.sh

# Nexmark q0-q19 on one core with results checked against DuckDB
# (bench/nexmark/run.sh; NEXMARK_EVENTS, NEXMARK_BATCH, NEXMARK_QUERIES).
bench-nexmark: deps all
	@bash bench/nexmark/run.sh

# Exported symbols must all carry the public prefix.
check-exports: $(B)/libsluice.so
	@bad=$$(nm -D --defined-only $< | awk '{print $$3}' | grep -v '^sl_' | grep -v '^_' || true); \
	if [ -n "$$bad" ]; then echo "exported without sl_ prefix: $$bad"; exit 1; fi

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(PIC_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(UNIT_OBJ:.o=.d)
-include $(wildcard $(B)/obj/tests/tools/*.d $(B)/obj/bench/*.d)
