# Hardening checks around the server build.
#   make test SANITIZE=1   the whole suite against an ASan+UBSan server: the Makefile
#                          links build/obj-san into the same build/tlsfault that pytest
#                          runs, so every pytest test exercises the sanitized binary
#                          (a report aborts the server: -fno-sanitize-recover=all; a
#                          leak makes its SIGTERM exit non-zero, which the tests check)
#   make valgrind          a scenario session under valgrind (memcheck, leak check):
#                          harness/tests/test_limits.py::test_valgrind_session_...,
#                          also part of the normal `make test`; skipped for SANITIZE=1
#
# build/tlsfault is the same path for both flavours, and the objects of one flavour are
# older than a binary linked from the other, so make alone would keep a sanitized binary
# after `make SANITIZE=1; make` (or the reverse). The flavour of the last make is kept in
# build/.tlsfault-flavor, rewritten (at parse time) only when it changes; main.o depends
# on it, so a change of flavour recompiles main.o and relinks build/tlsfault. Nothing is
# deleted, so a make of the other flavour cannot pull the binary from under a running test.

TLSFAULT_FLAVOR_FILE := $(B)/.tlsfault-flavor
ifneq ($(strip $(shell cat $(TLSFAULT_FLAVOR_FILE) 2>/dev/null)),$(OBJ))
$(shell mkdir -p $(B) && echo '$(OBJ)' > $(TLSFAULT_FLAVOR_FILE))
endif
$(TLSFAULT_FLAVOR_FILE):
	@mkdir -p $(dir $@) && echo '$(OBJ)' > $@
$(OBJ)/main.o: $(TLSFAULT_FLAVOR_FILE)

VALGRIND_TEST := harness/tests/test_limits.py::test_valgrind_session_has_no_leak_or_invalid_access

.PHONY: valgrind
valgrind: all
	@if [ '$(SANITIZE)' = 1 ]; then echo "make valgrind: not with SANITIZE=1"; exit 2; fi
	$(PYTEST) -q -rs $(VALGRIND_TEST)
