# crashsim: one Makefile for the file system, the harness and the tests.
#   make            build build/crashsim
#   make test       install what is missing, build, run every test
#   SAN=1           AddressSanitizer + UndefinedBehaviorSanitizer (build-san/)
#   COV=1           gcov instrumentation (build-cov/)
#   MUTANT=NAME     plant seeded bug NAME of fs/mutants.h (build-mutant-NAME/)
#   make mutants    build every seeded bug and check the harness catches it
#   PROBES=off      compile the recovery probes out, to measure their cost (build-noprobes/)
#   FUZZ=1          clang, libFuzzer instrumentation, ASan+UBSan (build-fuzz/)
#   make fuzz       run every fuzz target FUZZ_SECONDS seconds (tests/fuzz/README.md)

ifneq ($(MUTANT),)
BUILD ?= build-mutant-$(MUTANT)
CFLAGS += -DMUTANT_$(MUTANT)
endif
ifeq ($(SAN),1)
BUILD ?= build-san
endif
ifeq ($(PROBES),off)
BUILD ?= build-noprobes
CFLAGS += -DFS_PROBES_OFF
endif
ifeq ($(COV),1)
BUILD ?= build-cov
endif
ifeq ($(FUZZ),1)
BUILD ?= build-fuzz
endif
BUILD ?= build

CC ?= cc
comma := ,
OPT ?= -O2
CFLAGS += -std=c11 -g3 $(OPT) -D_DEFAULT_SOURCE -MMD -MP
CFLAGS += -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
          -Wconversion -Wvla
LDLIBS += -lsqlite3 -lm

ifeq ($(SAN),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
# The sanitizers of the fuzz build (FUZZ_SAN= none: coverage only, to measure them).
FUZZ_SAN ?= address,undefined
ifeq ($(FUZZ),1)
CC := clang
CFLAGS += -fsanitize=fuzzer-no-link$(if $(FUZZ_SAN),$(comma)$(FUZZ_SAN)) -fno-omit-frame-pointer \
          -fsanitize-coverage-allowlist=tests/fuzz/coverage.allow \
          -fsanitize-coverage-ignorelist=tests/fuzz/coverage.ignore \
          -Wno-string-conversion -Wno-string-concatenation -fno-sanitize-recover=all
LDFLAGS += $(if $(FUZZ_SAN),-fsanitize=$(FUZZ_SAN))
endif
ifeq ($(COV),1)
OPT := -O0
CFLAGS += --coverage -DCRASHSIM_COVERAGE
LDFLAGS += --coverage
endif

FS_SRC := fs/base.c fs/format.c fs/bdev.c fs/bio.c fs/alloc.c fs/cache.c fs/blk.c fs/treenode.c \
          fs/tree.c fs/treeupdate.c fs/snap.c fs/ops.c fs/fs.c fs/checkmap.c fs/checktree.c \
          fs/checkkill.c fs/check.c fs/debug.c fs/reach.c
# sim/ by pipeline stage (each folder's files open with what the stage owns):
# oracle -> record -> check -> store -> campaign -> cli.
SIM_ORACLE_SRC := sim/oracle/oracle.c sim/oracle/path.c sim/oracle/digest.c sim/oracle/diff.c \
           sim/oracle/fsread.c
SIM_RECORD_SRC := sim/record/dev.c sim/record/runner.c
SIM_CHECK_SRC := sim/check/outcome.c sim/check/crash.c sim/check/checker.c sim/check/dedup.c \
           sim/check/workers.c sim/check/nested.c
SIM_STORE_SRC := sim/store/store.c sim/store/merge.c
SIM_CAMPAIGN_SRC := sim/campaign/inputs.c sim/campaign/summary.c sim/campaign/coverage.c \
           sim/campaign/explore.c sim/campaign/nestrun.c sim/campaign/generated.c sim/campaign/replay.c \
           sim/campaign/regress.c sim/campaign/minimize.c \
           sim/campaign/features.c sim/campaign/mutate.c sim/campaign/guided.c
SIM_CLI_SRC := sim/cli/cli.c sim/cli/cmd_image.c sim/cli/cmd_dump.c sim/cli/cmd_run.c \
           sim/cli/cmd_inspect.c sim/cli/cmd_explore.c sim/cli/cmd_probes.c \
           sim/cli/cmd_regress.c sim/cli/cmd_analysis.c sim/cli/cmd_matrix.c sim/cli/cmd_wlog.c \
           sim/cli/cmd_gen.c sim/cli/cmd_cluster.c
SIM_SRC := $(SIM_ORACLE_SRC) $(SIM_RECORD_SRC) $(SIM_CHECK_SRC) $(SIM_STORE_SRC) \
           $(SIM_CAMPAIGN_SRC) $(SIM_CLI_SRC)
FAULT_SRC := faultinject/classes.c faultinject/plan.c faultinject/fault.c faultinject/forge.c \
             faultinject/damage.c faultinject/faultdev.c
TRACES_SRC := traces/oplog.c traces/wlog.c traces/dmlog.c traces/trace.c traces/tracefile.c \
              traces/gen.c traces/ace.c
MAIN_SRC := sim/cli/main.c
TEST_UTIL_SRC := tests/util.c
TESTS := test_format test_alloc test_mount test_faultloop test_determinism test_trace \
         test_tracefile test_oracle test_tree test_treeupdate test_ops test_snap test_corrupt \
         test_media test_plan test_gen test_ace test_wlog test_forge test_oom test_samelog \
         test_oplog test_reach test_mutate test_fields test_errpath test_store test_nested

SAN_TESTS := test_faultloop test_corrupt test_trace test_tracefile test_wlog test_forge test_oplog \
             test_fields test_nested

# Fuzz targets (tests/fuzz/README.md): each TARGET.c is linked with libFuzzer
# into build-fuzz/fuzz/TARGET (FUZZ=1) and with tests/fuzz/replay.c, in any
# build, into $(BUILD)/fuzz/replay-TARGET, which runs input files once each.
FUZZ_TARGETS := mount mount-sealed trace wlog
FUZZ_COMMON_SRC := tests/fuzz/common.c tests/fuzz/image.c
FUZZ_SEEDS_SRC := tests/fuzz/seeds.c

FS_OBJ := $(FS_SRC:%.c=$(BUILD)/%.o)
SIM_OBJ := $(SIM_SRC:%.c=$(BUILD)/%.o)
TRACES_OBJ := $(TRACES_SRC:%.c=$(BUILD)/%.o)
FAULT_OBJ := $(FAULT_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(MAIN_SRC:%.c=$(BUILD)/%.o)
TEST_UTIL_OBJ := $(TEST_UTIL_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(TESTS:%=$(BUILD)/tests/%)
FUZZ_COMMON_OBJ := $(FUZZ_COMMON_SRC:%.c=$(BUILD)/%.o)
FUZZ_LIB_OBJ := $(FUZZ_COMMON_OBJ) $(SIM_OBJ) $(TRACES_OBJ) $(FAULT_OBJ) $(FS_OBJ)
FUZZ_REPLAY := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/replay-%)
FUZZ_BIN := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)

.SECONDARY:

.PHONY: all
all: $(BUILD)/crashsim ## Build build/crashsim (the default).

$(BUILD)/crashsim: $(MAIN_OBJ) $(SIM_OBJ) $(TRACES_OBJ) $(FAULT_OBJ) $(FS_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# The revision a binary is built from, for runs.git_rev: "" outside a git
# checkout, "-dirty" appended when the tree has uncommitted changes. Rewritten
# only when it changes, so it costs a rebuild of one file.
.PHONY: FORCE
FORCE:
$(BUILD)/gitrev.h: FORCE
	@mkdir -p $(BUILD)
	@rev=$$(git rev-parse --short HEAD 2>/dev/null); \
	if [ -n "$$rev" ] && ! git diff --quiet HEAD -- 2>/dev/null; then rev="$$rev-dirty"; fi; \
	printf '#define CRASHSIM_GIT_REV "%s"\n' "$$rev" > $@.tmp; \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(BUILD)/sim/campaign/explore.o: $(BUILD)/gitrev.h
$(BUILD)/sim/campaign/explore.o: CFLAGS += -I$(BUILD)

# test_oom fails chosen allocations: the allocator is wrapped at link time.
$(BUILD)/tests/test_oom: LDFLAGS += -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc
# test_errpath fails chosen block allocations: fs/'s allocator is wrapped likewise.
$(BUILD)/tests/test_errpath: LDFLAGS += -Wl,--wrap=alloc_block

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TEST_UTIL_OBJ) $(SIM_OBJ) $(TRACES_OBJ) $(FAULT_OBJ) $(FS_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(BUILD)/fuzz/replay-%: $(BUILD)/tests/fuzz/%.o $(BUILD)/tests/fuzz/replay.o $(FUZZ_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz/fuzz-seeds: $(FUZZ_SEEDS_SRC:%.c=$(BUILD)/%.o) $(FUZZ_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

ifeq ($(FUZZ),1)
$(BUILD)/fuzz/%: $(BUILD)/tests/fuzz/%.o $(FUZZ_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)
endif

.PHONY: deps
deps: ## Install the Debian packages the project needs (only those missing).
	@scripts/install-deps

.PHONY: test
# Test programs run at once (scripts/run-tests JOBS): one per core here.
TEST_JOBS ?= 2

test: deps ## Install what is missing, build, run every test; ends with "N passed, N failed".
	@$(MAKE) --no-print-directory $(BUILD)/crashsim $(TEST_BIN)
	@$(MAKE) --no-print-directory SAN=1 BUILD=build-san build-san/crashsim \
		$(SAN_TESTS:%=build-san/tests/%)
	@$(MAKE) --no-print-directory fuzz-corpus
	@JOBS=$(TEST_JOBS) SAN_BUILD=build-san SAN_TESTS="$(SAN_TESTS)" scripts/run-tests $(BUILD)

WORKLOAD ?= traces/workloads/default.trace
DB ?= results.db
OUT ?= report
EXPLORE_FAULTS ?= pass,flush,prefix
# The volatile cache's own faults, added on the writeback model (ordered has no cache).
EXPLORE_CACHE_FAULTS ?= reorder:1

.PHONY: explore
explore: deps all ## The main job: crash campaigns on the standard workload -> results.db, report/.
	@rm -f $(DB) $(DB)-wal $(DB)-shm
	$(BUILD)/crashsim explore --workload $(WORKLOAD) --model ordered --profile faithful \
		--faults $(EXPLORE_FAULTS) --nested --db $(DB)
	$(BUILD)/crashsim explore --workload $(WORKLOAD) --model writeback --profile hardened \
		--faults $(EXPLORE_FAULTS),$(EXPLORE_CACHE_FAULTS) --nested --db $(DB)
	@echo "GEFS-faithful sync on a volatile write cache (expected to fail; see README):"
	-$(BUILD)/crashsim explore --workload $(WORKLOAD) --model writeback --profile faithful \
		--faults $(EXPLORE_FAULTS),$(EXPLORE_CACHE_FAULTS) --db $(DB) | tail -n 12
	/usr/bin/python3 analysis/report.py --db $(DB) -o $(OUT)
	@echo "results: $(DB)   report: $(OUT)/index.html"

# Fuzzing (tests/fuzz/README.md): libFuzzer targets under ASan+UBSan in
# build-fuzz/, their seed corpora, and `make fuzz` to run them.
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 2
FUZZ_SEED_TRACES = traces/workloads/*.trace traces/regress/*.case

.PHONY: fuzz-build
fuzz-build: ## Build the fuzz targets (clang, libFuzzer, ASan+UBSan) in build-fuzz/.
	@$(MAKE) --no-print-directory FUZZ=1 BUILD=build-fuzz \
		$(FUZZ_TARGETS:%=build-fuzz/fuzz/%) $(FUZZ_TARGETS:%=build-fuzz/fuzz/replay-%) \
		build-fuzz/fuzz/fuzz-seeds

.PHONY: fuzz-corpus
fuzz-corpus: fuzz-build ## Seed corpora from the standard workloads and their crash states.
	@rm -rf build-fuzz/seeds
	@build-fuzz/fuzz/fuzz-seeds build-fuzz/seeds $(FUZZ_SEED_TRACES) >build-fuzz/seeds.log 2>&1; \
		rc=$$?; tail -n 1 build-fuzz/seeds.log; [ $$rc -le 1 ] || { cat build-fuzz/seeds.log; exit 1; }

.PHONY: fuzz
fuzz: deps fuzz-corpus ## Run every fuzz target FUZZ_SECONDS seconds (default 60); findings -> tests/fuzz/regress.
	/usr/bin/python3 scripts/fuzz --seconds $(FUZZ_SECONDS) --jobs $(FUZZ_JOBS)

.PHONY: regress
regress: deps all ## Replay the regression corpus traces/regress (MUTANT=NAME: with a seeded bug).
	$(BUILD)/crashsim regress traces/regress

.PHONY: mutants
mutants: deps all ## Build every seeded bug of fs/mutants.h and run one fixed suite: caught K/N.
	/usr/bin/python3 scripts/mutants

.PHONY: bench
bench: deps all ## Crash states checked per CPU-second, latency per state, peak memory.
	/usr/bin/python3 scripts/bench.py $(BUILD)

COVERAGE_FORGE ?= 2048
COVERAGE_REPOINT ?= 512
# The guided corpus the campaigns add: crashsim gen guided from the standard
# workloads, with a fixed seed and candidate budget: the same corpus every time.
COVERAGE_GUIDED_SEED ?= 1
COVERAGE_GUIDED_CANDIDATES ?= 300

.PHONY: coverage
coverage: deps all ## gcov build: fs/ branches crash campaigns reach, apart from tests -> coverage/index.html.
	@$(MAKE) --no-print-directory COV=1 BUILD=build-cov build-cov/crashsim build-cov/tests/test_media \
		build-cov/tests/test_oom
	@rm -rf coverage && mkdir -p coverage
	@echo "coverage: guided corpus: gen guided --seed $(COVERAGE_GUIDED_SEED)" \
		"--candidates $(COVERAGE_GUIDED_CANDIDATES) -> coverage/corpus"
	@mkdir -p coverage/corpus; $(BUILD)/crashsim gen guided --seed $(COVERAGE_GUIDED_SEED) \
		--candidates $(COVERAGE_GUIDED_CANDIDATES) --from traces/workloads \
		--out coverage/corpus > coverage/corpus.log 2>&1; rc=$$?; \
		tail -n 1 coverage/corpus.log | sed 's/^/coverage: /'; \
		if [ $$rc -gt 1 ]; then rm -rf coverage/corpus; \
			echo "coverage: gen guided failed (exit $$rc): standard workloads only"; \
		elif [ $$rc -eq 1 ]; then \
			echo "coverage: gen guided found a violation: coverage/corpus/violations/"; fi
	@/usr/bin/python3 scripts/coverage --build build-cov --out coverage \
		--forge $(COVERAGE_FORGE) --repoint $(COVERAGE_REPOINT) \
		$$([ -d coverage/corpus ] && echo --corpus coverage/corpus)

.PHONY: report
report: deps ## HTML report of $(DB) in $(OUT)/ (analysis/report.py).
	/usr/bin/python3 analysis/report.py --db $(DB) -o $(OUT)

.PHONY: compare
compare: deps ## Compare the latest runs of A=base.db and B=new.db; exit 1 on new violations.
	/usr/bin/python3 analysis/compare.py $(A) $(B)

.PHONY: test-san
test-san: ## Run the tests under ASan+UBSan (build-san/).
	@$(MAKE) --no-print-directory SAN=1 test

.PHONY: clean
clean: ## Remove build outputs.
	rm -rf build build-san build-cov build-fuzz build-mutant-*

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(firstword $(MAKEFILE_LIST)) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  %-12s %s\n", $$1, $$2}'

-include $(FS_OBJ:.o=.d) $(SIM_OBJ:.o=.d) $(TRACES_OBJ:.o=.d) $(FAULT_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) \
	$(TEST_UTIL_OBJ:.o=.d) $(TEST_BIN:=.d) $(FUZZ_COMMON_OBJ:.o=.d) \
	$(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/%.d) $(BUILD)/tests/fuzz/replay.d \
	$(FUZZ_SEEDS_SRC:%.c=$(BUILD)/%.d)
