#!/bin/sh
# build.sh - standalone build of vmu's test firmware (no meson needed).
# Usage: tests/guest/firmware/build.sh OUTDIR   -> OUTDIR/fw.elf
# Uses the same flags as meson.build; CC may override the compiler (gcc).
set -eu

src=$(cd "$(dirname "$0")" && pwd)
out=${1:-.}
cc=${CC:-gcc}
mkdir -p "$out"

"$cc" -Wall -Wextra -Werror \
    -ffreestanding -nostdlib -fno-pic -fno-stack-protector -mno-red-zone \
    -mno-sse -mno-mmx -mgeneral-regs-only -O2 \
    -fno-asynchronous-unwind-tables -fno-builtin \
    -static -no-pie -Wl,--build-id=none -Wl,--no-warn-rwx-segments \
    -Wl,-T,"$src/fw.ld" \
    "$src/entry.S" "$src/isr.S" "$src/main.c" "$src/serial.c" "$src/idt.c" \
    "$src/apic.c" "$src/pvh.c" "$src/tests.c" "$src/libc.c" \
    "$src/pci.c" "$src/virtio.c" "$src/virtio-net.c" "$src/net-tests.c" \
    -o "$out/fw.elf"
