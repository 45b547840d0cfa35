# The two commands of the README: `make demo` and `make test`. Both install what is missing
# (scripts/setup, idempotent), configure and build, then run.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
# ccache keyed on paths relative to the checkout, so a fresh clone elsewhere (CI) reuses
# earlier compilations; the sloppiness lets it cache the precompiled LibTorch header.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true
export CCACHE_SLOPPINESS := pch_defines,time_macros,include_file_mtime,include_file_ctime
export CCACHE_MAXSIZE ?= 5G

.PHONY: setup configure build test demo python asan fuzz format format-check clean

setup:
	bash scripts/setup

configure: setup
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

demo: build
	$(BUILD)/chromatune demo

# The Python reader (python/chromatune, docs/analysis.md) importable by Debian's python3: a
# .pth file in the user's site-packages naming python/ (Debian refuses pip outside a venv).
python:
	@dir=$$(/usr/bin/python3 -m site --user-site) && mkdir -p "$$dir" && \
	  echo "$(CURDIR)/python" > "$$dir/chromatune.pth" && \
	  echo "python: $$dir/chromatune.pth -> $(CURDIR)/python (import chromatune)"

# The non-LibTorch libraries and their tests under AddressSanitizer + UBSan. Leak checking
# is off: OpenMPI's MCA plugins and Beast's shutdown leave allocations LeakSanitizer reports
# from unloaded modules (docs/decisions.md). large_submission_test stores 150,000 trials and
# bounds API latency while doing so: a timing check, run by `make test`, not under ASan.
asan: export ASAN_OPTIONS = detect_leaks=1:abort_on_error=0
asan: export UBSAN_OPTIONS = print_stacktrace=1:halt_on_error=1
asan: setup
	cmake -S . -B $(BUILD)-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCHROMATUNE_SANITIZE=ON
	cmake --build $(BUILD)-asan -j $(JOBS)
	ctest --test-dir $(BUILD)-asan --output-on-failure -j $(JOBS) -LE "torch|browser" \
	  -E "integration.large_submission_test"

# libFuzzer harnesses (tests/fuzz, docs/fuzzing.md) built with clang, ASan and UBSan, each
# run for FUZZ_SECONDS from its seed corpus; a crash fails the target and leaves its input in
# $(BUILD)-fuzz/fuzz-crashes/.
FUZZ_SECONDS ?= 60
fuzz: setup
	CC=clang CXX=clang++ cmake -S . -B $(BUILD)-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DCHROMATUNE_FUZZ=ON -DCHROMATUNE_WERROR=OFF
	cmake --build $(BUILD)-fuzz -j $(JOBS) --target fuzz
	bash scripts/fuzz $(BUILD)-fuzz $(FUZZ_SECONDS)

format:
	git ls-files '*.cc' '*.h' | xargs clang-format -i

format-check:
	git ls-files '*.cc' '*.h' | xargs clang-format --dry-run -Werror

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-fuzz
