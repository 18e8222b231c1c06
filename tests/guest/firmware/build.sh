#!/bin/sh
# build.sh - standalone build of vmu's test firmware (no meson needed).
# Usage: tests/guest/firmware/build.sh OUTDIR   -> OUTDIR/fw.elf, OUTDIR/fw.bzImage
# Uses the same flags as meson.build; CC may override the compiler (gcc).
set -eu

src=$(cd "$(dirname "$0")" && pwd)
out=${1:-.}
cc=${CC:-gcc}
mkdir -p "$out"

flags="-Wall -Wextra -Werror \
    -ffreestanding -nostdlib -fno-pic -fno-stack-protector -mno-red-zone \
    -mno-sse -mno-mmx -mgeneral-regs-only -O2 \
    -fno-asynchronous-unwind-tables -fno-builtin \
    -static -no-pie -Wl,--build-id=none -Wl,--no-warn-rwx-segments"
set -- "$src/isr.S" "$src/main.c" "$src/serial.c" "$src/idt.c" \
    "$src/apic.c" "$src/pvh.c" "$src/tests.c" "$src/libc.c" \
    "$src/pci.c" "$src/virtio.c" "$src/virtio-net.c" "$src/net-tests.c" "$src/net-slirp.c" \
    "$src/mptable.c" "$src/cpuid.c" "$src/acpi.c"

# shellcheck disable=SC2086 # $flags: words without spaces
"$cc" $flags -Wl,-T,"$src/fw.ld" "$src/entry.S" "$@" -o "$out/fw.elf"

# bzImage: boot protocol entries first, then the setup header (mkbzimage.py).
# shellcheck disable=SC2086
"$cc" $flags -Wl,-T,"$src/fw-bzimage.ld" "$src/entry-bzimage.S" \
    "$src/entry.S" "$@" -o "$out/fw-bz.elf"
"${PYTHON:-python3}" "$src/mkbzimage.py" "$out/fw-bz.elf" "$out/fw.bzImage"
