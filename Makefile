# tlsfault — targets:
#   make deps     install Debian packages, build wolfSSL into build/wolfssl (cached)
#   make          build/tlsfault and build/certs/
#   make demo     serve every scenario on 127.0.0.1 and print how to see each failure
#   make test     cmocka unit tests + pytest checks (what CI runs)
#   make check    the full scenario x client matrix (reports in build/report/)
#   make fuzz     libFuzzer targets, FUZZ_SECONDS each
#   make bench    benchmarks into build/bench/
#   make clean    every output under build/ but the wolfSSL cache (see clean:)
# Switches: SANITIZE=1 (ASan+UBSan)

B := build
WOLF := $(B)/wolfssl
CC ?= cc
PYTEST := /usr/bin/python3 -m pytest
# BASE_CFLAGS: every C build. The release build adds mk/hardening.mk's
# HARDEN_CFLAGS/HARDEN_LDFLAGS, SANITIZE=1 the sanitizers instead.
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Wshadow -Wno-format-truncation \
	-MMD -MP -I$(WOLF)/include -Iservers
CFLAGS := $(BASE_CFLAGS)
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

$(OBJ)/%.o: servers/%.c $(OBJ)/.flags | $(WOLF_LIB)
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

# certgen is a build tool: one flavour (release, hardened) whatever SANITIZE
# says, so a change of flavour does not make build/certs anew. Objects with
# -MMD deps: editing certs/*.h (or servers/ini_file.h, textval.h, tf_names.h)
# rebuilds it.
CERTGEN_OBJ := $(B)/obj-certgen
CERTGEN_OBJS := $(patsubst %.c,$(CERTGEN_OBJ)/%.o,$(notdir $(wildcard certs/*.c))) \
	$(CERTGEN_OBJ)/textval.o $(CERTGEN_OBJ)/ini_file.o
$(CERTGEN_OBJ)/%.o: certs/%.c $(CERTGEN_OBJ)/.flags | $(WOLF_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(HARDEN_CFLAGS) -c $< -o $@
$(CERTGEN_OBJ)/%.o: servers/%.c $(CERTGEN_OBJ)/.flags | $(WOLF_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(HARDEN_CFLAGS) -c $< -o $@
$(B)/certgen: $(CERTGEN_OBJS)
	$(CC) $(HARDEN_LDFLAGS) $^ $(LDLIBS) -o $@

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
CLEAN_EXTRA :=
include $(sort $(wildcard mk/*.mk))

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory pytest
	@$(if $(strip $(TEST_EXTRA)),$(MAKE) --no-print-directory $(TEST_EXTRA),true)

demo: deps
	@$(MAKE) --no-print-directory all
	@/usr/bin/python3 harness/demo.py

# Everything make and the tests create under build/, except the wolfSSL cache
# (build/wolfssl: Debian's source package built with our options and patch,
# minutes to remake, checked by its .options stamp). build/wolfssl.src (the
# unpacked source it was built from) and build/apt (the private apt lists
# apt-get source read) go: scripts/build-wolfssl.sh makes both again when
# the cache is stale. CLEAN_EXTRA: what mk/*.mk add. build/certgen.d and
# build/.tlsfault-flavor are what the Makefile before its flag stamps left in a
# tree it built; they go too, so an updated checkout cleans whole.
clean:
	rm -rf $(B)/obj $(B)/obj-san $(CERTGEN_OBJ) $(B)/tlsfault $(B)/certgen $(B)/certgen.d \
		$(B)/certs $(B)/report $(B)/run $(B)/java $(B)/go $(B)/refcorpus $(B)/.flavor-* \
		$(B)/.tlsfault-flavor $(B)/wolfssl.src $(B)/apt $(CLEAN_EXTRA)

# Objects depend on the flags they were built with (DIR/.flags, rewritten at
# parse time only when the flags differ), so a change of flags (mk/hardening.mk,
# CC=, CFLAGS+= on the command line) rebuilds them.
flags_stamp = $(shell mkdir -p $(1) && n='$(strip $(2))' && \
	{ [ "$$(cat $(1)/.flags 2>/dev/null)" = "$$n" ] || printf '%s\n' "$$n" >$(1)/.flags; })
$(call flags_stamp,$(OBJ),$(CC) $(CFLAGS) $(LDFLAGS))
$(call flags_stamp,$(CERTGEN_OBJ),$(CC) $(BASE_CFLAGS) $(HARDEN_CFLAGS) $(HARDEN_LDFLAGS))
$(OBJ)/.flags $(CERTGEN_OBJ)/.flags:
	@mkdir -p $(dir $@) && touch $@

-include $(wildcard $(OBJ)/*.d $(OBJ)/unit/*.d $(CERTGEN_OBJ)/*.d)
