"""startup: exec → first serial byte of the test firmware, exec → its exit,
and the VMM's own memory (peak RSS minus the guest RAM the guest touched).
Both VMMs boot the same PVH firmware with the same RAM size."""
import os

from lib.context import (Timed, need_kvm_and_qemu, smaps_rss, version_of,
                         vm_hwm_kib)
from lib.report import Metric, Skip

RAM_MIB = 256


class Benchmark:
    name = "startup"
    title = "start-up time and VMM memory, same firmware"
    peer_name = "QEMU"
    pairs = 10
    metrics = [
        Metric("first_byte", "ms", "exec → first byte the firmware writes "
               "to the serial port", target=("ratio", 0.2),
               guest_bound="the firmware's few thousand instructions before "
               "its first output run through KVM's instruction emulator"),
        Metric("exit", "ms", "exec → the firmware's isa-debug-exit "
               "(test=hello) and the VMM's exit", target=("ratio", 0.2),
               guest_bound="between its first byte and its exit the "
               "firmware prints and exits through emulated port I/O, about "
               "15 ms here for either VMM: that part is the guest's, not "
               "the VMM's"),
        Metric("vmm_memory", "MiB", "peak resident memory of the VMM "
               "process since exec (VmHWM) minus the guest RAM the guest "
               "touched (from /proc/PID/smaps), both read while the firmware "
               "idles in test=hold",
               target=("vmu", 8.0)),
    ]
    notes = [
        "Fairness: same firmware ELF, same -m, both on KVM; QEMU uses "
        "`-machine microvm,x-option-roms=off,rtc=off` (its fastest machine "
        "here: `pc` runs SeaBIOS, ~4.7 s emulated) and "
        "`-cpu host,-arch-capabilities` (needed on kvm-pvm).",
        "One configuration difference shows in `exit`: vmu creates KVM's "
        "in-kernel PIC, IOAPIC and PIT (KVM_CREATE_IRQCHIP, "
        "KVM_CREATE_PIT2); QEMU's microvm defaults to the split irqchip. "
        "On kvm-pvm, destroying the in-kernel irqchip and PIT at process "
        "exit takes ~17 ms: QEMU with `-accel kvm,kernel-irqchip=on` pays "
        "the same (~20 ms from the firmware's exit to the process's end, "
        "against ~4 ms split).",
    ]

    def __init__(self, ctx):
        self.ctx = ctx

    def peer_version(self):
        return version_of([self.ctx.qemu, "-version"])

    def setup(self):
        need_kvm_and_qemu(self.ctx)
        if not os.path.exists(self.ctx.firmware):
            raise Skip("the test firmware is not built (ninja -C build)")

    def teardown(self):
        pass

    def argv(self, variant, test):
        common = ["-m", f"{RAM_MIB}M", "-nographic", "-nodefaults",
                  "-no-reboot", "-serial", "stdio",
                  "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                  "-kernel", self.ctx.firmware, "-append", f"test={test}"]
        if variant == "vmu":
            return [self.ctx.vmu, "-machine", "pc,accel=kvm", "-cpu",
                    "host"] + common
        return [self.ctx.qemu, "-accel", "kvm", "-cpu",
                "host,-arch-capabilities", "-machine",
                "microvm,x-option-roms=off,rtc=off"] + common

    def run(self, variant):
        t = Timed(self.argv(variant, "hello"), timeout=60).run()
        if t.status != 1 or b"vmu-fw: hello" not in t.output:
            raise RuntimeError(f"firmware run failed (status {t.status}): "
                               f"{t.output[-300:]!r}")
        sample = {}

        def measure(pid):
            # VmHWM, not wait4's ru_maxrss: the latter also counts the
            # forked Python image before exec.
            sample["rss"], sample["guest"] = smaps_rss(pid, RAM_MIB << 20)
            sample["hwm"] = vm_hwm_kib(pid)

        h = Timed(self.argv(variant, "hold"), wait_for="vmu-fw: holding",
                  on_text=measure, timeout=60).run()
        if "guest" not in sample:
            raise RuntimeError(f"test=hold did not run (status {h.status})")
        vmm_kib = sample["hwm"] - sample["guest"]
        return {"first_byte": t.first_byte_ms, "exit": t.exit_ms,
                "vmm_memory": vmm_kib / 1024.0}
