# Builds everything native: vmlinux.h from the running kernel's BTF, every
# bpf/**/*.bpf.c into an object + libbpf skeleton, the Node-API addon and the
# C test helpers. `npm run build` calls `make all` then tsc.
BUILD      := build
CLANG      ?= clang
BPFTOOL    ?= $(shell command -v bpftool || echo /usr/sbin/bpftool)
ARCH       := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
BPF_CFLAGS := $(EXTRA_BPF_CFLAGS) -target bpf -mcpu=v3 -g -O2 -Wall -Wno-unused-function \
              -D__TARGET_ARCH_$(ARCH) -I$(BUILD) -Ibpf
BPF_SRCS   := $(shell find bpf -name "*.bpf.c" -not -path "bpf/runtime/*")
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_SKELS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.skel.h,$(BPF_SRCS))
HELPERS    := $(patsubst test/helpers/%.c,$(BUILD)/helpers/%,$(wildcard test/helpers/*.c)) \
              $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))
UNIT       := $(patsubst test/unit/c/%.c,$(BUILD)/unit/%,$(wildcard test/unit/c/*.c)) \
              $(patsubst test/unit/cc/%.cc,$(BUILD)/unit/%,$(wildcard test/unit/cc/*.cc))
ADDON      := native/build/Release/uringscope.node
ENGINE     := $(BUILD)/uringscope-engine
ENGINE_SRCS := $(wildcard native/engine/*.cc) native/libbpf_log.cc native/kernel_btf.cc
# Build against the installed Node's headers (no download: the machines here
# reach no site but the package registries).
NODEDIR    ?= $(shell node -p "require('path').resolve(process.execPath, '../..')")


.PHONY: all bpf native engine helpers unit clean
all: native engine helpers unit
bpf: $(BPF_SKELS)
native: $(ADDON)
helpers: $(HELPERS)
engine: $(ENGINE)
# The unit tier's C harnesses (test/unit/c/): no ring, no BPF, no root.
unit: $(UNIT)

$(BUILD)/vmlinux.h:
	@mkdir -p $(@D)
	@test -r /sys/kernel/btf/vmlinux || { echo "error: /sys/kernel/btf/vmlinux missing: this kernel has no BTF (CONFIG_DEBUG_INFO_BTF=y is needed)" >&2; exit 1; }
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h $(wildcard bpf/*.h bpf/runtime/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) $$(grep -qs 'struct io_uring_bpf_ops {' $(BUILD)/vmlinux.h && echo -DUS_VMLINUX_HAS_BPF_OPS) -c $< -o $@

# The interpreter's bpf-ops shape (bpf/runtime/ops.bpf.h): the same source with the loop step.
$(BUILD)/bpf/policies/chain.ops.bpf.o: bpf/policies/chain.bpf.c $(BUILD)/vmlinux.h $(wildcard bpf/*.h bpf/runtime/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -DUS_OPS_LOOP $$(grep -qs 'struct io_uring_bpf_ops {' $(BUILD)/vmlinux.h && echo -DUS_VMLINUX_HAS_BPF_OPS) -c $< -o $@

$(BUILD)/bpf/policies/chain_ops.skel.h: $(BUILD)/bpf/policies/chain.ops.bpf.o
	$(BPFTOOL) gen skeleton $< name chain_ops > $@.tmp && mv $@.tmp $@

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(ADDON): $(BPF_SKELS) $(wildcard native/*.cc native/*.h) native/binding.gyp $(wildcard bpf/*.h)
	cd native && ../node_modules/.bin/node-gyp rebuild --silent --nodedir=$(NODEDIR)

# The engine runs workloads in its own process (see native/engine/main.cc).
$(ENGINE): $(ENGINE_SRCS) $(wildcard native/engine/*.h) native/libbpf_log.h native/kernel_btf.h $(wildcard bpf/*.h bpf/runtime/*.h) $(BPF_SKELS) $(BUILD)/bpf/policies/chain_ops.skel.h
	@mkdir -p $(@D)
	$(CXX) -std=c++17 -O2 -Wall -Wextra -Wno-missing-field-initializers -Ibpf -I$(BUILD)/bpf -pthread -o $@ $(ENGINE_SRCS) -luring -lbpf -lelf -lz -ldl

# uring_ops drives its ring with its own bpf-ops program (bpf/tests/).
$(BUILD)/helpers/uring_ops: test/helpers/uring_ops.c $(BUILD)/bpf/tests/ops_nops.skel.h
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -I$(BUILD)/bpf -o $@ $< -luring -lbpf -lelf -lz

$(BUILD)/helpers/%: test/helpers/%.c $(wildcard test/helpers/*.h)
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -o $@ $< -luring -lpthread

$(BUILD)/unit/%: test/unit/c/%.c $(wildcard bpf/*.h)
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra -Werror -Ibpf -o $@ $<

# The engine's plan parser alone (test/unit/plan-encoding.test.ts): no ring, no BPF.
$(BUILD)/unit/plan_parse: test/unit/cc/plan_parse.cc native/engine/plan.cc $(wildcard native/engine/*.h) $(wildcard bpf/*.h)
	@mkdir -p $(@D)
	$(CXX) -std=c++17 -O2 -Wall -Wextra -Werror -Wno-missing-field-initializers -Ibpf -Inative/engine -o $@ $< native/engine/plan.cc

$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -o $@ $< -luring

clean:
	rm -rf $(BUILD) native/build dist
