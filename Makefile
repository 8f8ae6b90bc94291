# SPDX-License-Identifier: GPL-2.0-or-later
# dkms-sandbox — see README.md. `make check` installs what it needs (as root
# on Debian 12) and runs the tests; `make check-asan` runs them under
# AddressSanitizer and UndefinedBehaviorSanitizer.

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
BINDIR    := $(PREFIX)/sbin
MANDIR    := $(PREFIX)/share/man
SYSCONFDIR ?= /etc
BUILD     ?= build

CC        ?= cc
PKGS      := libseccomp libcap yaml-0.1 libarchive libcrypto
CPPFLAGS  += -Iinclude -I. -D_GNU_SOURCE -DDKS_VERSION='"$(VERSION)"' \
             -DDKS_SYSCONFDIR='"$(SYSCONFDIR)"'
CFLAGS    ?= -O2 -g
CFLAGS    += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 \
             -Wno-unused-parameter -fstack-protector-strong -fPIE \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS   += -pie -Wl,-z,relro,-z,now
# libseccomp, libcap and libyaml statically: fewer objects for ld.so to
# load and relocate at every start (about 1.5 ms of a ~25 ms sandbox); no
# libmount (common/mountinfo.c): with libblkid, libselinux and libpcre2 it
# was most of what ld.so still did (docs/sandbox.md, "Start-up").
LDLIBS    += -Wl,-Bstatic -lseccomp -lcap -lyaml -Wl,-Bdynamic
# libarchive and libcrypto are dlopen'd by the code that needs them
# (orchestrator/lazylib.h); the tests build archives with them directly.
TEST_LDLIBS := -larchive -lcrypto -lkmod -llzma -lzstd -lz
ifeq ($(SAN),1)
CFLAGS    += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS   += -fsanitize=address,undefined
else
CPPFLAGS  += -D_FORTIFY_SOURCE=2
endif

# The rooms (docs/layers.md): common <- sandbox <- installer <- orchestrator.
COMMON_SRC := $(wildcard common/*.c)
LIB_SRC   := $(wildcard sandbox/*.c)
LIB_ASM   := $(wildcard sandbox/*.S)
INST_SRC  := $(wildcard installer/*.c)
CLI_SRC   := orchestrator/main.c
ORCH_SRC  := $(filter-out $(CLI_SRC),$(wildcard orchestrator/*.c))
TEST_SRC  := $(wildcard tests/unit/*.c)
PROFILES  := $(wildcard profiles/*.yaml)

COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
CORE_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(LIB_ASM:%.S=$(BUILD)/%.o)
# The embedded profiles, parsed and their seccomp programs compiled at
# build time by profiles/compile.c (linked against the core itself).
GEN_C     := $(BUILD)/gen/profiles_compiled.c
LIB_OBJ   := $(CORE_OBJ) $(BUILD)/gen/profiles_compiled.o
PCOMPILE  := $(BUILD)/profiles-compile
CLI_OBJ   := $(CLI_SRC:%.c=$(BUILD)/%.o)
ORCH_OBJ  := $(ORCH_SRC:%.c=$(BUILD)/%.o)
INST_OBJ  := $(INST_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ  := $(TEST_SRC:%.c=$(BUILD)/%.o)

BIN       := $(BUILD)/dkms-sandbox
COMMON    := $(BUILD)/libcommon.a
LIB       := $(BUILD)/libdks.a
INST      := $(BUILD)/libinstaller.a
ORCH      := $(BUILD)/liborch.a
# Link order: each room before the rooms it may use.
LIBS      := $(ORCH) $(INST) $(LIB) $(COMMON)
TESTBIN   := $(BUILD)/test-unit
# The same binary with crash points that DKS_CRASH_AFTER=N turns on (tests only).
CRASHBIN  := $(BUILD)/dkms-sandbox-crashtest
PROBE     := $(BUILD)/probe

.PHONY: all check check-asan check-run bench corpus deps install uninstall clean demo format toolchain-image deb check-deb check-e2e check-fleet fleet-corpus check-testload check-faults check-concurrency check-lostwrites

all: $(BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# The embedded profiles are .incbin'd: rebuild when a profile changes.
$(BUILD)/sandbox/profiles_embed.o: sandbox/profiles_embed.S $(PROFILES)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -c $< -o $@

$(BUILD)/profiles/compile.o: CPPFLAGS += -Isandbox

$(PCOMPILE): $(BUILD)/profiles/compile.o $(BUILD)/profiles/compiled_none.o $(CORE_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(GEN_C): $(PCOMPILE) $(PROFILES)
	@mkdir -p $(dir $@)
	$(PCOMPILE) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/profiles_compiled.o: $(GEN_C)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(ORCH): $(ORCH_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(INST): $(INST_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(COMMON): $(COMMON_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIBS) $(LDLIBS)

$(CRASHBIN): $(CLI_OBJ) $(BUILD)/tests/helpers/crashpoint.o $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/tests/helpers/crashpoint.o $(LIBS) $(LDLIBS)

# Test helpers run inside the sandbox: static, so that they need nothing
# of the toolchain root.
$(PROBE): tests/helpers/probe.c
	@mkdir -p $(dir $@)
	$(CC) -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -static -o $@ $<

$(TESTBIN): $(TEST_OBJ) $(LIBS)
	$(CC) $(LDFLAGS) -o $@ $(TEST_OBJ) $(LIBS) $(LDLIBS) $(TEST_LDLIBS) -lcriterion

# Installs the Debian packages the build and the tests need, and the
# dkms-sandbox user whose subordinate ids are the build uids (root only;
# does nothing when they are all present).
deps:
	@./tests/deps.sh
	@if [ "$$(id -u)" = 0 ]; then ./tools/build-user.sh; fi

check: deps
	$(MAKE) check-run

check-run: $(BIN) $(TESTBIN) $(PROBE) $(CRASHBIN)
	DKS_BIN=$(abspath $(BIN)) DKS_PROBE=$(abspath $(PROBE)) DKS_CRASHBIN=$(abspath $(CRASHBIN)) \
	DKS_SRCDIR=$(CURDIR) ./tests/hostguard.sh run $(TESTBIN) --jobs 2 $(TESTFLAGS)

check-asan: deps
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(MAKE) BUILD=build-asan SAN=1 check-run

bench: deps $(BIN)
	DKS_BIN=$(abspath $(BIN)) ./tests/bench/run.sh
	DKS_BIN=$(abspath $(BIN)) ./tests/bench/testload.sh
	DKS_BIN=$(abspath $(BIN)) ./tests/bench/repro.sh
	DKS_BIN=$(abspath $(BIN)) ./tests/bench/agree.sh
	DKS_BIN=$(abspath $(BIN)) ./tests/bench/cache.sh
	@# the Debian 12 corpus in one call vs dkms package by package (~5 min)
	[ -n "$$BENCH_NO_CORPUS" ] || DKS_BIN=$(abspath $(BIN)) ./tests/bench/corpus.sh

# The load test end to end, as root (docs/testload.md): Debian's two newest
# 6.1 kernel images (apt-get download + dpkg -x, cached in
# /var/cache/dkms-sandbox/images) booted in QEMU with the fixture modules of
# tests/modules; about 5 minutes under TCG.
check-testload: deps $(BIN)
	./tests/check-testload.sh $(BIN)

# Fault injection (docs/reliability.md): ENOSPC and EIO at every write,
# fsync, rename, create and mkdir of build, install, uninstall, mktarball
# and ldtarball in temporary trees (an LD_PRELOAD shim, tests only), and
# kill -9 at every crash point of build; a few minutes.
FAULTSHIM := $(BUILD)/faultshim.so
$(FAULTSHIM): tests/faults/faultshim.c tests/faults/shimpath.h
	@mkdir -p $(dir $@)
	$(CC) -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -fPIC -shared -o $@ $< -ldl

check-faults: deps $(BIN) $(CRASHBIN) $(FAULTSHIM)
	./tests/faults/check-faults.sh $(BIN) $(CRASHBIN) $(FAULTSHIM)

# Concurrency (docs/reliability.md): parallel add, build, install,
# uninstall, remove, autoinstall, status and fsck of four modules (two with
# BUILD_DEPENDS) for two kernels in temporary trees, each command under a
# timeout, every exit code checked; at each quiet point and at the end the
# tree must be consistent. CONCUR_SECONDS (90) of load; 600 for the numbers.
CONCUR := $(BUILD)/concur-stress
$(CONCUR): tests/concur/stress.c
	@mkdir -p $(dir $@)
	$(CC) -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -o $@ $<

check-concurrency: deps $(BIN) $(CONCUR)
	./tests/concur/check-concurrency.sh $(BIN) $(CONCUR)

# Lost writes (docs/reliability.md): a power cut under the strict POSIX
# model after every fsync of build, install, uninstall, ldtarball and fsck
# --repair, at their crash points and at random points: an LD_PRELOAD
# shim logs what a cut could lose, a rewind tool undoes it (tests only);
# then status, fsck --repair and the next run. A few minutes.
LOSTSHIM := $(BUILD)/lostshim.so
REWIND := $(BUILD)/lost-rewind
$(LOSTSHIM): tests/faults/lostshim.c tests/faults/shimpath.h
	@mkdir -p $(dir $@)
	$(CC) -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -fPIC -shared -o $@ $< -ldl

$(REWIND): tests/faults/rewind.c
	@mkdir -p $(dir $@)
	$(CC) -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -o $@ $<

check-lostwrites: deps $(BIN) $(CRASHBIN) $(LOSTSHIM) $(REWIND)
	./tests/faults/check-lostwrites.sh $(BIN) $(CRASHBIN) $(LOSTSHIM) $(REWIND)

# A Debian 12 kbuild toolchain image made with mmdebstrap (docs/toolchains.md);
# import it with: dkms-sandbox toolchain import debian12 $(BUILD)/toolchain-debian12.tar
toolchain-image:
	./tests/make-image.sh $(BUILD)/toolchain-debian12.tar
	@echo "image: $(BUILD)/toolchain-debian12.tar"

# Every Debian 12 *-dkms package built with dkms-sandbox and, as the
# reference, Debian's dkms 3.0.10, in temp trees (tests/corpus-sweep.sh;
# about 25 minutes on 2 cores: openafs alone takes 5). Not part of check.
corpus: deps $(BIN)
	./tests/corpus-sweep.sh --binary $(abspath $(BIN)) --with-dkms --out $(BUILD)/corpus

demo: deps $(BIN)
	DKS_BIN=$(abspath $(BIN)) ./tests/demo.sh

install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/dkms-sandbox
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/dkms-sandbox/profiles
	install -D -m 0644 docs/dkms-sandbox.8 $(DESTDIR)$(MANDIR)/man8/dkms-sandbox.8
	@# The kernel hooks a distro runs (Debian: /etc/kernel/{postinst,prerm}.d, with the
	@# kernel release as $$1): autoinstall for a new kernel, uninstall before removal.
	install -d $(DESTDIR)$(SYSCONFDIR)/kernel/postinst.d $(DESTDIR)$(SYSCONFDIR)/kernel/prerm.d
	printf '#!/bin/sh\n# dkms-sandbox: build and install the AUTOINSTALL modules for a new kernel.\nexec $(BINDIR)/dkms-sandbox kernel_postinst -k "$$1"\n' \
		> $(DESTDIR)$(SYSCONFDIR)/kernel/postinst.d/dkms-sandbox
	printf '#!/bin/sh\n# dkms-sandbox: uninstall the modules of a kernel being removed.\nexec $(BINDIR)/dkms-sandbox kernel_prerm -k "$$1"\n' \
		> $(DESTDIR)$(SYSCONFDIR)/kernel/prerm.d/dkms-sandbox
	chmod 0755 $(DESTDIR)$(SYSCONFDIR)/kernel/postinst.d/dkms-sandbox \
		$(DESTDIR)$(SYSCONFDIR)/kernel/prerm.d/dkms-sandbox
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ./tools/build-user.sh; fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/dkms-sandbox $(DESTDIR)$(MANDIR)/man8/dkms-sandbox.8 \
		$(DESTDIR)$(SYSCONFDIR)/kernel/postinst.d/dkms-sandbox \
		$(DESTDIR)$(SYSCONFDIR)/kernel/prerm.d/dkms-sandbox

# The Debian package (debian/, dpkg-buildpackage on a copy of the checkout):
# $(BUILD)/deb/dkms-sandbox_$(VERSION)_ARCH.deb. It is dkms: it Provides,
# Conflicts with and Replaces Debian's (docs/migration.md).
deb: deps
	./tools/make-deb.sh $(BUILD)/deb $(VERSION)

# The package's contents, control fields and lintian (errors), and its
# unpacked `dkms` run on a temporary tree; nothing is installed.
check-deb: deb
	./tests/check-deb.sh $(BUILD)/deb $(VERSION)

# End to end, as root: the .deb in a Debian 12 container (mmdebstrap root,
# cached in /var/cache/dkms-sandbox-e2e; pivot_root into an overlay) with
# Debian's v4l2loopback-dkms, a second kernel's headers, its removal and a
# package whose build fails. Needs the network (apt); see tests/e2e.sh.
check-e2e: deb
	./tests/e2e.sh $(BUILD)/deb $(VERSION)

# A build plan as a Slurm job array, for real: a single-node cluster
# (munged, slurmctld, slurmd) started by the test in a temp dir and stopped
# at its end; fixture and Debian modules for every installed kernel, one
# unit per array task (docs/fleet.md). As root; about a minute.
check-fleet: deps $(BIN)
	./tests/fleet/check-fleet.sh $(BIN)

# The whole corpus (every Debian 12 *-dkms package) for two kernels, the
# installed 6.1 and tests/fetch-kernel.sh's 6.12, as one job array on the
# same cluster; outcomes compared with docs/build.md's sweep. Not in CI.
fleet-corpus: deps $(BIN)
	./tests/fleet/fleet-corpus.sh $(BIN) $(BUILD)/fleet-corpus

format:
	clang-format -i $(COMMON_SRC) $(LIB_SRC) $(INST_SRC) $(CLI_SRC) $(ORCH_SRC) $(TEST_SRC) include/dks/*.h installer/*.h tests/helpers/*.c profiles/*.c

clean:
	rm -rf build build-asan

include tests/fuzz/fuzz.mk

-include $(shell find $(BUILD) -path $(BUILD)/deb -prune -o -name '*.d' -type f -print 2>/dev/null)

# The call graph between files is layered (tools/layers.c, whose table says
# which room may use which). The rooms are the top directories: every .c and .S
# directly below one is checked, except tests/, tools/ and profiles/ (the
# profile compiler); $(BUILD)/gen/profiles_compiled.c is the profiles room.
HOSTCC     ?= cc
LAYERS     := $(BUILD)/tools/layers
LAYERS_SRC := $(filter-out tests/% tools/% profiles/%,$(wildcard */*.c */*.S))
LAYERS_OBJ := $(addprefix $(BUILD)/,$(addsuffix .o,$(basename $(LAYERS_SRC)))) \
              $(BUILD)/gen/profiles_compiled.o

.PHONY: check-layers check-layers-selftest

$(LAYERS): tools/layers.c
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -o $@ $<

check-layers-selftest: $(LAYERS)
	CC=$(HOSTCC) tests/layers/run.sh $(LAYERS)

check-layers: check-layers-selftest $(LAYERS_OBJ)
	@$(LAYERS) $(BUILD) $(LAYERS_OBJ)
