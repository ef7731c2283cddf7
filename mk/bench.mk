# make bench — tlsfault against the wolfCrypt floor and nginx (issue 7).
# Never part of `make test`. Writes build/bench/results.md and results.json.
BENCH := $(B)/bench

$(BENCH)/tfload: bench/tfload.c | $(WOLF_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(LDLIBS) -o $@

$(BENCH)/floor: bench/floor.c | $(WOLF_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(LDLIBS) -o $@

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH)/tfload $(BENCH)/floor
	/usr/bin/python3 bench/run.py

CLEAN_EXTRA += $(BENCH)

-include $(wildcard $(BENCH)/*.d)
