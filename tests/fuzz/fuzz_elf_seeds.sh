#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Seeds for build-fuzz/fuzz_elf: small real executables (the fuzzer seldom
# finds an ELF header, a section table and a symbol table by itself), one
# with a Go 1.21 .go.buildinfo section. Usage: fuzz_elf_seeds.sh DIR
set -eu
dir=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$dir"
printf 'void f(void) {}\nint main(void) { return 0; }\nvoid _start(void) { f(); for (;;); }\n' >"$tmp/t.c"
gcc -O1 -static -nostdlib -no-pie -Wl,--build-id=none -o "$dir/static-f" "$tmp/t.c"
gcc -O1 -nostdlib -pie -fpie -Wl,--build-id=none -o "$dir/pie-f" "$tmp/t.c"
printf '\377 Go buildinf:\010\002' >"$tmp/bi"
head -c 16 /dev/zero >>"$tmp/bi"
printf '\010go1.21.0\000' >>"$tmp/bi"
objcopy --add-section .go.buildinfo="$tmp/bi" "$dir/static-f" "$dir/static-f-go"
