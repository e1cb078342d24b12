# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# wirespan: BPF objects -> one linked object -> skeleton; protobuf-c code from
# proto/; the agent; unit tests (also under ASan+UBSan); fuzz targets.
# Every generated file lives under $(OUT). V=1 shows the commands.

OUT ?= build
ARCH ?= x86
CLANG ?= clang
BPFTOOL ?= bpftool
PROTOC_C ?= protoc-c
CC ?= gcc
VERSION := 0.1.0

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# SAN=1: AddressSanitizer + UBSan build in build-san/.
ifeq ($(SAN),1)
OUT := build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

CFLAGS ?= -g -O2
CFLAGS += -Wall -Wextra -Werror -D_GNU_SOURCE -DWS_VERSION='"$(VERSION)"' $(SANFLAGS) -MMD -MP
# user/ is one folder per pipeline stage (user/README.md); headers are named by file alone.
USER_DIRS := $(sort $(dir $(wildcard user/*/*.c user/*/*.h)))
USER_INC := $(patsubst %/,-I%,$(USER_DIRS))
CPPFLAGS += $(USER_INC) -Ibpf -I$(OUT) -I$(OUT)/proto
LDFLAGS += $(SANFLAGS)
LDLIBS += -lbpf -lelf -lz -lprotobuf-c -lcurl -lpthread

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-Ivmlinux/$(ARCH) -Ibpf
BPF_SRCS := $(sort $(wildcard bpf/*.bpf.c))
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUT)/bpf/%.bpf.o,$(BPF_SRCS))

PROTOS := $(sort $(shell find proto -name '*.proto'))
PB_SRCS := $(patsubst proto/%.proto,$(OUT)/proto/%.pb-c.c,$(PROTOS))
PB_HDRS := $(PB_SRCS:.c=.h)
PB_OBJS := $(PB_SRCS:.c=.o)

USER_SRCS := $(sort $(wildcard user/*/*.c))
USER_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS))
LIB_OBJS := $(filter-out $(OUT)/user/agent/main.o,$(USER_OBJS)) $(PB_OBJS)
# Objects that include the skeleton, and the agent's loop and replay, which drive the
# kernel side through it; everything else is pure and links into unit tests.
SKEL_OBJS := $(OUT)/user/capture/bpf_load.o
DRIVER_OBJS := $(OUT)/user/agent/loop.o $(OUT)/user/agent/replay.o
PURE_OBJS := $(filter-out $(SKEL_OBJS) $(DRIVER_OBJS),$(LIB_OBJS))

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))
BPF_TEST_SRCS := $(sort $(wildcard tests/bpf/test_*.c))
BPF_TEST_BINS := $(patsubst tests/bpf/%.c,$(OUT)/tests/%,$(BPF_TEST_SRCS))

FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(FUZZ_SRCS))

.PHONY: all deps deps-run run test unit san bpf-tests fuzz bench clean vmlinux format lint
.DELETE_ON_ERROR:
.SECONDARY:

all: $(OUT)/wirespan $(UNIT_BINS) $(BPF_TEST_BINS)

# Installs the Debian packages the build and the agent need (deps-run), or
# those and what the tests use (deps: Python, Go, nginx, wrk, Node.js, ...).
deps-run:
	$(Q)packaging/install-deps.sh run

deps:
	$(Q)packaging/install-deps.sh test

# Sets up and runs the agent on its default: every process, spans on stdout.
run: deps-run
	$(Q)$(MAKE) --no-print-directory $(OUT)/wirespan
	$(OUT)/wirespan $(ARGS)

# Sets up and runs every test: unit (plain and ASan+UBSan), BPF, integration.
test: deps
	$(Q)$(MAKE) --no-print-directory all $(OUT)/bench/encode_bench $(OUT)/bench/kcost # built, so they cannot rot
	$(Q)$(MAKE) --no-print-directory SAN=1 unit-bins
	$(Q)tests/run.sh

unit-bins: $(UNIT_BINS)

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) vmlinux/$(ARCH)/vmlinux.h | $(OUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/wirespan.bpf.o: $(BPF_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(OUT)/wirespan.skel.h: $(OUT)/wirespan.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name wirespan > $@

$(OUT)/proto/%.pb-c.c $(OUT)/proto/%.pb-c.h: proto/%.proto
	$(call msg,PROTOC,$@)
	$(Q)mkdir -p $(OUT)/proto
	$(Q)$(PROTOC_C) --proto_path=proto --c_out=$(OUT)/proto $<

$(OUT)/proto/%.pb-c.o: $(OUT)/proto/%.pb-c.c $(PB_HDRS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Wno-unused-parameter $(CPPFLAGS) -c $< -o $@

$(SKEL_OBJS): $(OUT)/wirespan.skel.h

$(OUT)/user/%.o: user/%.c | $(PB_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) -c $< -o $@

$(OUT)/wirespan: $(USER_OBJS) $(PB_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/tests/%: tests/unit/%.c tests/unit/check.h $(PURE_OBJS) | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) -Itests/unit $< $(PURE_OBJS) $(LDFLAGS) $(LDLIBS) -o $@

$(OUT)/tests/%: tests/bpf/%.c tests/unit/check.h $(LIB_OBJS) | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) -Itests/unit $< $(LIB_OBJS) $(LDFLAGS) $(LDLIBS) -o $@

# Fuzz targets: clang libFuzzer + ASan + UBSan over the pure modules.
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE $(USER_INC) -Ibpf
build-fuzz/%: tests/fuzz/%.c $(wildcard user/*/*.c user/*/*.h) | build-fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< $(shell sed -n 's|^// fuzz-links: ||p' $<) -o $@

fuzz: $(FUZZ_BINS)

# Measures what tracing costs (bench/README.md) and writes bench/RESULTS.md;
# ARGS="--quick" or ARGS="--only nginx" pass options to bench/run.py.
bench: deps
	$(Q)$(MAKE) --no-print-directory all $(OUT)/bench/encode_bench $(OUT)/bench/kcost
	$(Q)bench/run.sh $(ARGS)

# Export encoding alone, per protocol (bench/README.md); run by make bench.
$(OUT)/bench/encode_bench: bench/encode_bench.c $(PURE_OBJS) | $(OUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) $< $(PURE_OBJS) $(LDFLAGS) $(LDLIBS) -o $@

# What BPF helpers cost on this kernel (bench/README.md, case kcost); run by make bench.
$(OUT)/bench/kcost.bpf.o: bench/kcost/kcost.bpf.c bench/kcost/kcost.h vmlinux/$(ARCH)/vmlinux.h | $(OUT)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/bench/kcost.skel.h: $(OUT)/bench/kcost.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name kcost > $@

$(OUT)/bench/kcost: bench/kcost/kcost.c bench/kcost/kcost.h $(OUT)/bench/kcost.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -I$(OUT)/bench $< $(LDFLAGS) -lbpf -lelf -lz -o $@

$(OUT)/bpf $(OUT)/tests $(OUT)/bench build-fuzz:
	$(Q)mkdir -p $@

# Regenerates vmlinux.h from the running kernel's BTF.
vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux_new.h
	@echo "kernel $$(uname -r), $$($(BPFTOOL) version | head -1)"

# .clang-format is the style (STYLE.md); tests/format_check.sh, run by make test, fails on drift.
FORMAT_SRCS = $(wildcard bpf/*.[ch] user/*/*.[ch] tests/unit/*.[ch] tests/bpf/*.c tests/fuzz/*.c \
	bench/*.c bench/kcost/*.[ch])
format:
	clang-format -i $(FORMAT_SRCS)

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability $(USER_INC) -Ibpf user/

clean:
	rm -rf build build-san build-fuzz

-include $(wildcard $(OUT)/user/*/*.d $(OUT)/tests/*.d)
