# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzzing (docs/reliability.md, "Fuzzing"): libFuzzer harnesses, one per
# parser, in tests/fuzz/fuzz_*.c; seed corpora in tests/fuzz/corpus/NAME/.
# `make fuzz` builds them (clang; BUILD=build-fuzz) and runs each for
# FUZZ_SECONDS, the new inputs merged back into the seed corpus;
# `make fuzz-replay` runs each over its seeds once, then FUZZ_REPLAY_SECONDS
# of fuzzing (CI). Included by the Makefile.

FUZZ_BUILD   ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_REPLAY_SECONDS ?= 6
FUZZ_SAN     := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  := -g -O1 -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
                -Wno-missing-field-initializers -fPIE -fno-omit-frame-pointer $(FUZZ_SAN) \
                $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES   := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz/fuzz_%)
FUZZ_LIBS    := $(addprefix $(FUZZ_BUILD)/,liborch.a libinstaller.a libdks.a libcommon.a)

.PHONY: fuzz fuzz-build fuzz-replay fuzz-deps fuzz-libs fuzz-campaign fuzz-report fuzz-carry

fuzz-deps:
	@command -v $(FUZZ_CC) >/dev/null || { [ "$$(id -u)" = 0 ] && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y clang; } || \
	  { echo "fuzz: $(FUZZ_CC) missing (apt-get install clang)" >&2; exit 1; }

# The rooms' libraries, instrumented (a make of their own: other flags).
fuzz-libs: fuzz-deps
	$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) SAN= \
	  CFLAGS='$(FUZZ_CFLAGS)' LDFLAGS='-pie $(FUZZ_SAN)' $(FUZZ_LIBS)

$(FUZZ_BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_LIBS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIBS) \
	  $(LDLIBS) -larchive -lcrypto -lkmod

fuzz-build: fuzz-libs
	$(MAKE) --no-print-directory $(FUZZ_BINS)

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh campaign $(FUZZ_BUILD) $(FUZZ_NAMES)

fuzz-replay: fuzz-build
	FUZZ_SECONDS=$(FUZZ_REPLAY_SECONDS) tests/fuzz/run.sh replay $(FUZZ_BUILD) $(FUZZ_NAMES)

# The campaign in CPU time (tests/fuzz/campaign.sh): every harness until it
# has used FUZZ_CPU_SECONDS (default 3600) of CPU in all, at SCHED_IDLE,
# resumable; `make fuzz-report` prints the ledger, `make fuzz-carry` writes
# its sums to tests/fuzz/ledger (committed: a new machine's ledger starts there).
fuzz-campaign: fuzz-build
	tests/fuzz/campaign.sh $(FUZZ_BUILD) $(FUZZ_NAMES)

fuzz-report:
	@tests/fuzz/campaign.sh --report $(FUZZ_NAMES)

fuzz-carry:
	@tests/fuzz/campaign.sh --carry $(FUZZ_NAMES)
