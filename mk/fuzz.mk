# libFuzzer targets (tests/fuzz/fuzz_*.c), built with clang into build/obj-fuzz:
#   make fuzz [FUZZ_SECONDS=60]   run each target FUZZ_SECONDS; the corpus grows in
#                                 build/fuzz/corpus/NAME (seeds: tests/fuzz/corpus/NAME)
#   make fuzz-smoke               each target a bounded run (part of `make test`)
#   make fuzz-build               only build build/fuzz/fuzz_*
# A crash leaves build/fuzz/crash-* (libFuzzer's artifact) and fails the target.
# Exec counts of the last run: build/fuzz/NAME.log ("stat::number_of_executed_units").

FUZZ_CC := clang
FUZZ_SECONDS ?= 60
# Per target in `make test`: -runs bounds the work, -max_total_time the wall clock.
FUZZ_SMOKE_RUNS ?= 20000
FUZZ_SMOKE_SECONDS ?= 15
FUZZ_OBJ := $(B)/obj-fuzz
FUZZ_OUT := $(B)/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# The project's base flags minus what is gcc-only or chosen per build (not the release
# hardening: libFuzzer's sanitizers take its place, as for SANITIZE=1).
FUZZ_CFLAGS := $(filter-out -O2 -Wno-format-truncation,$(BASE_CFLAGS)) -O1 $(FUZZ_SAN)
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_OUT)/%)
FUZZ_LIB_OBJS := $(LIB_SRCS:servers/%.c=$(FUZZ_OBJ)/%.o)

.PHONY: fuzz fuzz-smoke fuzz-build

$(FUZZ_OBJ)/%.o: servers/%.c | $(WOLF_LIB)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_LIB_OBJS) $(LDLIBS) -o $@

# Keep the objects: they are only prerequisites of a pattern rule.
.SECONDARY: $(FUZZ_LIB_OBJS)

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS) $(CERTS)
	@sh tests/fuzz/run.sh $(FUZZ_OUT) "-max_total_time=$(FUZZ_SECONDS) -timeout=10" $(FUZZ_TARGETS)

fuzz-smoke: $(FUZZ_BINS) $(CERTS)
	@sh tests/fuzz/run.sh $(FUZZ_OUT) \
		"-runs=$(FUZZ_SMOKE_RUNS) -max_total_time=$(FUZZ_SMOKE_SECONDS) -timeout=10" $(FUZZ_TARGETS)

TEST_EXTRA += fuzz-smoke
CLEAN_EXTRA += $(FUZZ_OBJ) $(FUZZ_OUT)

-include $(wildcard $(FUZZ_OBJ)/*.d $(FUZZ_OUT)/*.d)
