# Edgevisor: the one entry point.  See README.md and docs/architecture.md.
#
#   make            build everything (release build in build/rel)
#   make test       deps, build, then every tier: unit (release and ASan+UBSan),
#                   integration, system smoke; ends with "N passed, N failed"
#   make SANITIZE=1 test    the whole suite built with ASan+UBSan
#   make fuzz       every libFuzzer target for FUZZ_SECONDS (default 60)
#
# Build outputs live under build/ only; generated code (protoc-c) too.

.DEFAULT_GOAL := all
.SECONDARY:
SHELL := /bin/bash

SANITIZE ?= 0
ifeq ($(SANITIZE),1)
B := build/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
B := build/rel
SANFLAGS :=
endif
GEN := build/gen
FUZZ_SECONDS ?= 60

CC := gcc
# V=1 shows every command
ifeq ($(V),1)
Q :=
else
Q := @
endif
# Error messages go into bounded buffers on purpose (a sentence cut short
# beats an allocation on an error path), so snprintf truncation is not a bug.
WARN := -Wall -Wextra -Werror -Wno-format-truncation
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong
CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(HARDEN) -O2 -g $(SANFLAGS)
# Every dom0/<subsystem>/ and controller/ is on the include path:
# #include "log.h", "ipc.h", "eved.h", ...
SRC_INC := $(addprefix -I,$(sort $(wildcard dom0/*/)) controller/)
CPPFLAGS := $(SRC_INC) -I$(GEN)/proto -MMD -MP
LDFLAGS := $(SANFLAGS)
LDLIBS := -lprotobuf-c -lbearssl -lsqlite3 -ltss2-esys -ltss2-tctildr -ltss2-rc -ltss2-mu -lz \
	-lxenlight -lxentoollog -lyajl

# ---------------------------------------------------------------- packages
# Every Debian package the build, the tests and `make run` need.
DEPS_PKGS := make gcc libc6-dev pkg-config \
	clang-14 libfuzzer-14-dev libclang-rt-14-dev \
	protobuf-c-compiler libprotobuf-c-dev protobuf-compiler libprotobuf-dev \
	python3 python3-protobuf \
	libcmocka-dev zlib1g-dev libbearssl-dev libsqlite3-dev \
	libtss2-dev swtpm swtpm-tools tpm2-tools libxen-dev \
	procps iproute2 openssl ca-certificates tinyproxy curl \
	libyajl-dev qemu-system-x86 qemu-utils linux-image-amd64 ovmf \
	busybox-static syslinux mtools dosfstools cpio gnu-efi gdisk cgpt \
	xen-hypervisor-4.17-amd64 xen-utils-4.17 e2fsprogs kmod socat

.PHONY: deps
deps:
	@missing=""; \
	for p in $(DEPS_PKGS); do \
	  dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | grep -q ' installed$$' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all $(words $(DEPS_PKGS)) packages present"; exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "deps: missing Debian packages:$$missing" >&2; \
	  echo "deps: run 'make deps' as root (or apt-get install them)" >&2; exit 1; \
	fi; \
	echo "deps: installing:$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $$missing

# ---------------------------------------------------------------- protos
PROTO_FILES := $(shell find proto -name '*.proto' 2>/dev/null | sort)
# Well-known types the protos import come from libprotobuf-dev (/usr/include).
PROTO_WKT := $(sort $(shell grep -ho 'google/protobuf/[a-z_]*\.proto' $(PROTO_FILES) /dev/null))
PROTO_C := $(PROTO_FILES:proto/%.proto=$(GEN)/proto/%.pb-c.c) $(PROTO_WKT:%.proto=$(GEN)/proto/%.pb-c.c)
PROTO_OBJ := $(PROTO_C:$(GEN)/%.c=$(B)/obj/gen/%.o)

$(GEN)/proto/.stamp: $(PROTO_FILES)
	@mkdir -p $(GEN)/proto
	$(if $(PROTO_FILES),protoc-c --proto_path=proto --proto_path=/usr/include --c_out=$(GEN)/proto \
	  $(PROTO_FILES:proto/%=%) $(PROTO_WKT))
	@touch $@

$(PROTO_C): $(GEN)/proto/.stamp ;

$(B)/obj/gen/%.o: $(GEN)/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/libproto.a: $(PROTO_OBJ)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

# ---------------------------------------------------------------- our code
# Each program's main() is in the file named after it; everything else in
# dom0/ is libdom0.a and in controller/ libcontroller.a, which tests link too.
DOM0_LIB_SRC := $(filter-out dom0/eved/eved.c,$(sort $(wildcard dom0/*/*.c)))
CTRL_LIB_SRC := $(filter-out controller/evc.c,$(sort $(wildcard controller/*.c)))

$(B)/obj/%.o: %.c | $(GEN)/proto/.stamp
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/libdom0.a: $(DOM0_LIB_SRC:%.c=$(B)/obj/%.o)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/libcontroller.a: $(CTRL_LIB_SRC:%.c=$(B)/obj/%.o)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

LIBS := $(B)/libcontroller.a $(B)/libdom0.a $(B)/libproto.a

$(B)/eved: $(B)/obj/dom0/eved/eved.o $(LIBS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/evc: $(B)/obj/controller/evc.o $(LIBS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

PROGS := $(B)/eved $(if $(wildcard controller/evc.c),$(B)/evc)

# ---------------------------------------------------------------- boot selector (bootloader/)
# gptctl: host tool on dom0/core/gpt.  BOOTX64.EFI: edgeboot with gnu-efi,
# gpt.c compiled again freestanding for EFI (never sanitized); the test
# payloads stand in for xen.efi in tests/integration/test_edgeboot.sh.
EFI_INC := -I/usr/include/efi -I/usr/include/efi/x86_64 -I/usr/include/efi/protocol -Idom0/core
EFI_CFLAGS := -std=c11 $(WARN) -Wno-pointer-sign -O2 -ffreestanding -fno-stack-protector -fpic \
	-fshort-wchar -mno-red-zone -maccumulate-outgoing-args -fno-strict-aliasing -DGNU_EFI_USE_MS_ABI
EFI_LDFLAGS := -nostdlib -znocombreloc -shared -Bsymbolic -T /usr/lib/elf_x86_64_efi.lds -L/usr/lib
EFI_SECTIONS := -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
	-j .rel.* -j .rela.* -j .reloc

$(B)/gptctl: $(B)/obj/bootloader/gptctl.o $(B)/libdom0.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

$(B)/efi/%.o: bootloader/%.c dom0/core/gpt.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  EFICC   $@")
	$(Q)$(CC) $(EFI_INC) $(EFI_CFLAGS) -c -o $@ $<

$(B)/efi/gpt.o: dom0/core/gpt.c dom0/core/gpt.h
	@mkdir -p $(@D)
	@$(if $(Q),echo "  EFICC   $@")
	$(Q)$(CC) $(EFI_INC) $(EFI_CFLAGS) -c -o $@ $<

$(B)/efi/payload-%.o: bootloader/testpayload.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(EFI_INC) $(EFI_CFLAGS) -DPAYLOAD_SLOT='"$*"' -c -o $@ $<

$(B)/efi/%.so: $(B)/efi/%.o
	$(Q)ld $(EFI_LDFLAGS) /usr/lib/crt0-efi-x86_64.o $^ -o $@ -lefi -lgnuefi

$(B)/efi/edgeboot.so: $(B)/efi/edgeboot.o $(B)/efi/gpt.o
	$(Q)ld $(EFI_LDFLAGS) /usr/lib/crt0-efi-x86_64.o $^ -o $@ -lefi -lgnuefi

$(B)/bootloader/BOOTX64.EFI: $(B)/efi/edgeboot.so
	@mkdir -p $(@D)
	@$(if $(Q),echo "  EFI     $@")
	$(Q)objcopy $(EFI_SECTIONS) --target efi-app-x86_64 --subsystem=10 $< $@

$(B)/bootloader/payload-%.efi: $(B)/efi/payload-%.so
	@mkdir -p $(@D)
	$(Q)objcopy $(EFI_SECTIONS) --target efi-app-x86_64 --subsystem=10 $< $@

PROGS += $(B)/gptctl $(B)/bootloader/BOOTX64.EFI $(B)/bootloader/payload-A.efi \
	$(B)/bootloader/payload-B.efi

# ---------------------------------------------------------------- tests
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/unit/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
BENCH_SRC := $(sort $(wildcard tests/bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(B)/tests/bench/%)
# The unit tier replays every corpus file through each fuzz target (gcc build).
REPLAY_BIN := $(FUZZ_NAMES:%=$(B)/tests/fuzz/replay_%)

$(B)/tests/unit/%: $(B)/obj/tests/unit/%.o $(LIBS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(B)/tests/bench/%: $(B)/obj/tests/bench/%.o $(LIBS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/fuzz/replay_%: $(B)/obj/tests/fuzz/fuzz_%.o $(B)/obj/tests/fuzz/replay_main.o $(LIBS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: all build-tests
all: deps
	@$(MAKE) --no-print-directory build-all

.PHONY: build-all
build-all: $(PROGS) $(UNIT_BIN) $(REPLAY_BIN) $(BENCH_BIN)

# tests/run.sh TIER... runs the tiers and prints the one closing line.
TEST_ENV := EV_BUILD=$(B) EV_SANITIZE=$(SANITIZE)

.PHONY: test test-unit test-integration test-system
ifeq ($(SANITIZE),1)
test: all
	$(TEST_ENV) tests/run.sh unit integration system-smoke
else
test: all
	@$(MAKE) --no-print-directory SANITIZE=1 build-all
	$(TEST_ENV) tests/run.sh unit unit-san integration system-smoke
endif

test-unit: all
	$(TEST_ENV) tests/run.sh unit

test-integration: all
	$(TEST_ENV) tests/run.sh integration

test-system: all
	$(TEST_ENV) tests/run.sh system

# ---------------------------------------------------------------- fuzz
# Each tests/fuzz/fuzz_NAME.c is built with clang + libFuzzer + ASan/UBSan and
# run on tests/fuzz/corpus/NAME (new inputs go to build/fuzz/corpus/NAME).
# A crash stops `make fuzz` and leaves build/fuzz/crash-NAME-*; copy it into
# tests/fuzz/corpus/NAME/ and the unit tier replays it from then on.
FUZZ_B := build/fuzz
FUZZ_CC := clang-14
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=address,undefined
FUZZ_LIB_SRC := $(DOM0_LIB_SRC) $(CTRL_LIB_SRC) $(PROTO_C)
FUZZ_LIB_OBJ := $(patsubst %.c,$(FUZZ_B)/obj/%.o,$(patsubst $(GEN)/%,gen/%,$(FUZZ_LIB_SRC)))
FUZZ_INC := $(SRC_INC) -I$(GEN)/proto

$(FUZZ_B)/obj/gen/%.o: $(GEN)/%.c
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_INC) -c -o $@ $<

$(FUZZ_B)/obj/%.o: %.c | $(GEN)/proto/.stamp
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_INC) -c -o $@ $<

$(FUZZ_B)/libfuzzdeps.a: $(FUZZ_LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_B)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_B)/libfuzzdeps.a
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_INC) -o $@ $^ $(LDLIBS)

.PHONY: fuzz
fuzz: deps
	@$(MAKE) --no-print-directory $(FUZZ_NAMES:%=$(FUZZ_B)/fuzz_%)
	@set -e -o pipefail; for n in $(FUZZ_NAMES); do \
	  mkdir -p $(FUZZ_B)/corpus/$$n tests/fuzz/corpus/$$n; \
	  echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
	  $(FUZZ_B)/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(FUZZ_B)/crash-$$n- \
	    $(FUZZ_B)/corpus/$$n tests/fuzz/corpus/$$n 2>&1 | grep -E '^(#[0-9]+ +DONE|Done|==[0-9]+==ERROR|SUMMARY)' ; \
	done

# ---------------------------------------------------------------- run, image, bench
.PHONY: run run-host image bench clean
# make run: the controller on this host and the device as it ships, booted
# on the QEMU board (Xen + dom0; TCG without KVM).  make run-host: the same
# eved in host mode (no Xen), apps under QEMU.
run: all
	board/qemu-x86_64/run.sh $(B)

run-host: all
	board/host/run.sh $(B)

# make image: the QEMU board's disk image, with a fresh controller PKI in
# build/image/evc whose device config is on the image's CONFIG partition.
IMAGE := build/image/edgevisor-qemu-x86_64.img
image: all
	@rm -rf build/image && mkdir -p build/image/config
	$(B)/evc init --dir build/image/evc --server 10.0.2.2:14443 --name 10.0.2.2 >/dev/null
	$(B)/evc onboard add --dir build/image/evc --cert build/image/evc/onboard.cert.pem --serial '*' >/dev/null
	cp build/image/evc/device-config/* build/image/config/
	board/qemu-x86_64/mkimage.sh $(B) $(IMAGE) --config build/image/config
	@echo "image: $(IMAGE); its controller: build/image/evc (evc serve --dir build/image/evc --listen 127.0.0.1:14443);" \
	  "boot it: board/qemu-x86_64/qemu.sh $(IMAGE)"

bench: all
	tests/bench/run.sh $(B)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
