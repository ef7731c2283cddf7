# make check: the full scenario x client matrix (harness/tlsfault_harness/matrix).
#   make check [SCENARIOS='ftps-*'] [CLIENTS=curl,java] [PROTOCOLS=https] [BASELINE=old/matrix.json]
# make check-mutants: the same, plus the mutation check (every expectation must be able to fail).
CHECK := cd harness && /usr/bin/python3 -m tlsfault_harness.matrix.check --out ../$(B)/report
.PHONY: check check-mutants
check: all
	$(CHECK) $(if $(BASELINE),--baseline $(abspath $(BASELINE)))
check-mutants: all
	$(CHECK) --mutants
