# Hardening of the server build.
#
# The release build (not SANITIZE=1) compiles and links every C program make builds
# (build/tlsfault, build/certgen, the unit tests, the bench programs) with the flags of
# Debian's hardening=+all (dpkg-buildflags):
#   -D_FORTIFY_SOURCE=2             glibc's checked memcpy/snprintf/read...: the *_chk
#                                   variants, which abort on an overflow they can see
#                                   (needs optimisation: BASE_CFLAGS has -O2)
#   -fstack-protector-strong        a canary in every function with an array or an
#                                   address-taken local (__stack_chk_fail)
#   -fstack-clash-protection        stack probes, so a large frame cannot jump the guard page
#   -fcf-protection                 CET: endbr64 landing pads and the shadow-stack note (x86)
#   -fPIE / -pie                    a position-independent executable (ELF type DYN), so ASLR
#                                   moves the program itself too
#   -Wl,-z,relro -Wl,-z,now         full RELRO: every symbol bound at start (BIND_NOW), then
#                                   the GOT made read-only (GNU_RELRO)
# harness/tests/test_build.py checks each one in the ELF of build/tlsfault and build/certgen.
# wolfSSL (build/wolfssl, scripts/build-wolfssl.sh) keeps its own flags: it is linked in as a
# static library built position-independent by Debian's gcc (default PIE).
#
# SANITIZE=1 leaves them out: ASan+UBSan replace the checks (FORTIFY's *_chk would bypass
# ASan's interceptors), and the flags must not change what the sanitizers see.
#   make test SANITIZE=1   the whole suite against an ASan+UBSan server: the Makefile
#                          links build/obj-san into the same build/tlsfault that pytest
#                          runs, so every pytest test exercises the sanitized binary
#                          (a report aborts the server: -fno-sanitize-recover=all; a
#                          leak makes its SIGTERM exit non-zero, which the tests check);
#                          the Makefile's build/.flavor-* stamp relinks build/tlsfault
#                          when the flavour changes
#   make valgrind          a scenario session under valgrind (memcheck, leak check):
#                          harness/tests/test_limits.py::test_valgrind_session_...,
#                          also part of the normal `make test`; skipped for SANITIZE=1

HARDEN_CFLAGS := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection \
	-fcf-protection -fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro -Wl,-z,now
ifneq ($(SANITIZE),1)
CFLAGS += $(HARDEN_CFLAGS)
LDFLAGS += $(HARDEN_LDFLAGS)
endif

VALGRIND_TEST := harness/tests/test_limits.py::test_valgrind_session_has_no_leak_or_invalid_access

.PHONY: valgrind
valgrind: all
	@if [ '$(SANITIZE)' = 1 ]; then echo "make valgrind: not with SANITIZE=1"; exit 2; fi
	$(PYTEST) -q -rs $(VALGRIND_TEST)
