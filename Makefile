# tlsfault — targets:
#   make deps     install Debian packages, build wolfSSL into build/wolfssl (cached)
#   make          build/tlsfault and build/certs/
#   make demo     serve every scenario on 127.0.0.1 and print how to see each failure
#   make test     cmocka unit tests + pytest checks (what CI runs)
#   make check    the full scenario x client matrix (reports in build/report/)
#   make fuzz     libFuzzer targets, FUZZ_SECONDS each
#   make bench    benchmarks into build/bench/
#   make clean
# Switches: SANITIZE=1 (ASan+UBSan)

B := build
WOLF := $(B)/wolfssl
CC ?= cc
PYTEST := /usr/bin/python3 -m pytest
CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Wshadow -Wno-format-truncation -MMD -MP \
	-I$(WOLF)/include -Iservers
LDLIBS := $(WOLF)/lib/libwolfssl.a -linih -lm -lpthread
ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
OBJ := $(B)/obj-san
else
OBJ := $(B)/obj
endif

SRCS := $(wildcard servers/*.c)
LIB_SRCS := $(filter-out servers/main.c,$(SRCS))
LIB_OBJS := $(LIB_SRCS:servers/%.c=$(OBJ)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(OBJ)/unit/%)
WOLF_LIB := $(WOLF)/lib/libwolfssl.a
CERTS := $(B)/certs/.stamp

.PHONY: all deps demo test unit pytest check check-mutants fuzz bench clean
all: $(B)/tlsfault $(CERTS)

deps: $(WOLF_LIB)
	@sh scripts/deps.sh

$(WOLF_LIB): scripts/build-wolfssl.sh scripts/wolfssl-tls13-ca-names.patch
	@sh scripts/deps.sh
	@sh scripts/build-wolfssl.sh $(WOLF)
	@touch $@

$(OBJ)/%.o: servers/%.c | $(WOLF_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# Both builds link build/tlsfault; a stamp per flavour relinks it when the
# flavour changes (else `make test` after `make test SANITIZE=1` would reuse
# the ASan binary, whose objects are newer).
FLAVOR := $(if $(filter 1,$(SANITIZE)),asan,release)
$(B)/.flavor-$(FLAVOR):
	@mkdir -p $(B) && rm -f $(B)/.flavor-* && touch $@

$(B)/tlsfault: $(OBJ)/main.o $(LIB_OBJS) $(B)/.flavor-$(FLAVOR)
	$(CC) $(LDFLAGS) $(filter %.o,$^) $(LDLIBS) -o $@

$(B)/certgen: $(wildcard certs/*.c) servers/textval.c servers/ini_file.c | $(WOLF_LIB)
	$(CC) $(CFLAGS) $(filter %.c,$^) $(LDLIBS) -o $@

$(CERTS): $(B)/certgen certs/profiles.ini
	@rm -rf $(B)/certs && mkdir -p $(B)/certs
	$(B)/certgen certs/profiles.ini $(B)/certs
	@touch $@

$(OBJ)/unit/%: tests/unit/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< $(LIB_OBJS) $(LDFLAGS) $(LDLIBS) -lcmocka -o $@

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; (cd tests/unit && ../../$$t); done

pytest: all
	$(PYTEST) -q harness/tests $(PYTEST_ARGS)

# mk/*.mk add their own targets (fuzz, bench, check) and may append
# targets to TEST_EXTRA to run them as part of `make test`.
TEST_EXTRA :=
include $(sort $(wildcard mk/*.mk))

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory pytest
	@$(if $(strip $(TEST_EXTRA)),$(MAKE) --no-print-directory $(TEST_EXTRA),true)

demo: deps
	@$(MAKE) --no-print-directory all
	@/usr/bin/python3 harness/demo.py

clean:
	rm -rf $(OBJ) $(B)/obj-san $(B)/tlsfault $(B)/certgen $(B)/certs $(B)/report

-include $(wildcard $(OBJ)/*.d $(OBJ)/unit/*.d)
