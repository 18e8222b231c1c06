# vmu: the two commands a user types are `make demo` and `make check`.
# Everything forwards to meson/ninja in build/ (and build-san/ for the
# ASan/UBSan run of the test suites).

BUILD ?= build
BUILD_SAN ?= build-san
MESON_TEST ?= meson test --print-errorlogs --num-processes 2

.PHONY: all check check-plain check-san deps demo bench install clean

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	./configure --builddir=$(BUILD)

$(BUILD_SAN)/build.ninja:
	./configure --builddir=$(BUILD_SAN) --enable-sanitizers

deps:
	scripts/install-deps

# Every suite in a plain build, then again under ASan/UBSan.
check: deps
	$(MAKE) check-plain check-san

check-plain: $(BUILD)/build.ninja
	ninja -C $(BUILD)
	$(MESON_TEST) -C $(BUILD)

check-san: $(BUILD_SAN)/build.ninja
	ninja -C $(BUILD_SAN)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(MESON_TEST) -C $(BUILD_SAN) --no-suite slow

demo: deps all
	scripts/demo

bench: deps all
	bench/run $(BENCH)

install: all
	meson install -C $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_SAN)
