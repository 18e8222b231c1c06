# vmu: the two commands a user types are `make demo` and `make check`.
# Everything forwards to meson/ninja in build/ (and build-san/ for the
# ASan/UBSan run of the test suites).  `make fuzz` runs the fuzzers longer.

BUILD ?= build
BUILD_SAN ?= build-san
# The timeout multiplier only widens meson's hang guard for loaded machines
# and the slower sanitizer build; the tests' own waits are event-driven.
MESON_TEST ?= meson test --print-errorlogs --num-processes 2 \
	--timeout-multiplier 3
# Under make check a skip for anything scripts/install-deps provides is a
# failure (tests/functional/skips.py lists the host capabilities that may
# be missing).
STRICT = VMU_TEST_STRICT=1
FUZZ_SECONDS ?= 60
FUZZ_SEED ?=

.PHONY: all check check-plain check-san deps demo bench install clean fuzz

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	./configure --builddir=$(BUILD)

$(BUILD_SAN)/build.ninja:
	./configure --builddir=$(BUILD_SAN) --enable-sanitizers

deps:
	scripts/install-deps

# Every suite in a plain build, then again under ASan/UBSan; both run even
# when the first fails, and the summary's last line counts both.
check: deps
	@rc=0; \
	$(MAKE) check-plain || rc=1; \
	$(MAKE) check-san || rc=1; \
	$(STRICT) scripts/test-summary $(BUILD) $(BUILD_SAN) || rc=1; \
	exit $$rc

check-plain: $(BUILD)/build.ninja
	rm -f $(BUILD)/meson-logs/testlog.json
	ninja -C $(BUILD)
	$(STRICT) $(MESON_TEST) -C $(BUILD)

check-san: $(BUILD_SAN)/build.ninja
	rm -f $(BUILD_SAN)/meson-logs/testlog.json
	ninja -C $(BUILD_SAN)
	$(STRICT) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(MESON_TEST) -C $(BUILD_SAN) --no-suite slow

# Every fuzzer in tests/fuzz under ASan/UBSan for FUZZ_SECONDS each, with a
# random seed it prints (FUZZ_SEED=N replays).
fuzz: $(BUILD_SAN)/build.ninja
	ninja -C $(BUILD_SAN)
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_SEED=$(FUZZ_SEED) tests/fuzz/run $(BUILD_SAN)

demo: deps all
	scripts/demo

bench: deps all
	bench/run $(BENCH)

install: all
	meson install -C $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_SAN)
