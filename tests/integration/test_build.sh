#!/usr/bin/env bash
# Integration: the build and its promises (issue 2's foundation) — layout,
# make targets, deps idempotence and its non-root error, hardening and
# sanitizer flags, generated code kept out of git, `make fuzz`, `make run`.
set -u
. "$(dirname "$0")/../lib.sh"
MK="env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make --no-print-directory"

# --- layout (DESIGN.md §1)
for d in hv-config dom0 stubdoms proto bootloader tests board controller docs \
	tests/unit tests/integration tests/system tests/fuzz tests/bench; do
	check "layout: $d/ exists" test -d "$d"
done
check "README starts with 'make run' and 'make test'" \
	bash -c 'head -n 5 README.md | grep -q "make run" && head -n 5 README.md | grep -q "make test"'
check ".ci/run calls make test" grep -q '^exec make test$' .ci/run
check "docs/architecture.md exists" test -s docs/architecture.md

# --- every make target exists
targets=$($MK -pRrq : 2>/dev/null | grep -oE '^[a-z-]+:' | tr -d : | sort -u)
for t in deps all test test-unit test-integration test-system run run-host image bench fuzz clean; do
	check "make target '$t' exists" grep -qx "$t" <<<"$targets"
done

# --- deps: idempotent, and a clear error for non-root when something is missing
out=$($MK deps 2>&1)
check "make deps is idempotent (second run installs nothing: $out)" \
	grep -qE '^deps: all [0-9]+ packages present$' <<<"$out"
cp Makefile "$EV_TMP/Makefile"
chmod 755 "$EV_TMP"; chmod 644 "$EV_TMP/Makefile"
out=$(cd "$EV_TMP" && su nobody -s /bin/bash -c \
	"make --no-print-directory deps DEPS_PKGS='make edgevisor-no-such-package'" 2>&1)
rc=$?
check "make deps as non-root with a missing package fails (rc $rc)" test "$rc" -ne 0
check "... naming the package and saying to run it as root" \
	bash -c 'grep -q "missing Debian packages: edgevisor-no-such-package" <<<"$0" && grep -q "as root" <<<"$0"' "$out"

# --- compiler flags (DESIGN.md §9)
cmd=$($MK -n -B V=1 build/rel/obj/dom0/core/log.o 2>&1 | grep 'gcc.*-c')
for f in -std=c11 -Wall -Wextra -Werror -D_FORTIFY_SOURCE=2 -fstack-protector-strong -O2; do
	check "release build compiles with $f" grep -q -- " $f " <<<"$cmd "
done
cmd=$($MK -n -B V=1 SANITIZE=1 build/san/obj/dom0/core/log.o 2>&1 | grep 'gcc.*-c')
check "SANITIZE=1 compiles with -fsanitize=address,undefined" grep -q -- '-fsanitize=address,undefined' <<<"$cmd"
if [ -x build/san/eved ]; then
	check "the sanitizer eved is instrumented (ASan)" bash -c 'nm build/san/eved | grep -q __asan_init'
	check "the sanitizer eved is instrumented (UBSan)" bash -c 'nm build/san/eved | grep -q __ubsan_handle'
fi

# --- generated code stays in build/
check "protoc-c output is in build/gen" test -s build/gen/proto/config/devconfig.pb-c.c
check "no generated code in the source tree" \
	test -z "$(find proto dom0 tests -name '*.pb-c.[ch]' -o -name '*_pb2.py' | head -n 1)"
if git rev-parse --git-dir >/dev/null 2>&1; then
	check "no generated code in git" test -z "$(git ls-files | grep -E '\.pb-c\.[ch]$|^build/')"
fi

# --- make fuzz builds every target with clang+libFuzzer and runs it
out=$($MK fuzz FUZZ_SECONDS=2 2>&1)
rc=$?
check "make fuzz FUZZ_SECONDS=2 succeeds (rc $rc)" test "$rc" -eq 0
check "a fuzz target for EdgeDevConfig exists" test -f tests/fuzz/fuzz_edgedevconfig.c
for src in $(compgen -G 'tests/fuzz/fuzz_*.c'); do
	n=$(basename "$src" .c); n=${n#fuzz_}
	check "make fuzz ran $n" grep -q "^fuzz: $n for 2 s" <<<"$out"
	check "fuzz target $n is a libFuzzer binary" \
		bash -c "build/fuzz/fuzz_$n -runs=1 tests/fuzz/corpus/$n 2>&1 | grep -q 'INFO: Seed'"
done

# --- make run-host: eved in host mode end to end (make run, the Xen system
# on the QEMU board, is tests/system/smoke/test_make_run.sh)
out=$(RUN_SECONDS=0 $MK run-host 2>&1)
rc=$?
check "make run-host succeeds (rc $rc)" test "$rc" -eq 0
check "make run-host shows the roles, a restart and a clean stop" bash -c \
	'grep -q "eved-identity" <<<"$0" && grep -q "evc is now pid [0-9]" <<<"$0" && grep -q "exited with status 0" <<<"$0"' "$out"
check "make run-host onboards the device to the controller" bash -c \
	'grep -q "RUN-0001 .*onboarded" <<<"$0" && grep -q "\"HSMStatus\":\"NOTFOUND\"" <<<"$0"' "$out"
check "make run-host shows log entries reaching the controller" bash -c \
	'grep -qE "received from the device so far: [1-9]" <<<"$0"' "$out"

done_testing
