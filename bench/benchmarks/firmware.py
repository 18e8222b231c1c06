"""firmware: exec → SeaBIOS's banner on the serial console and exec → its
"No bootable device.", vmu against QEMU 7.2's pc machine with the same
Debian bios-256k.bin, RAM and CPU; then the reset that -boot
reboot-timeout=0 asks for ends both (-no-reboot)."""
import os

from lib.context import Timed, need_kvm_and_qemu, version_of
from lib.report import Metric, Skip

BIOS = "/usr/share/seabios/bios-256k.bin"
BANNER = "SeaBIOS (version"
NO_BOOT = "No bootable device."


class Benchmark:
    name = "firmware"
    title = "SeaBIOS boot to its banner and to 'No bootable device'"
    peer_name = "QEMU"
    pairs = 5
    metrics = [
        Metric("banner", "ms", "exec → SeaBIOS's banner on the serial port",
               target=("ratio", 0.5),
               guest_bound="SeaBIOS's start (POST: its own relocation, "
               "fw_cfg reads, PCI and memory set-up) runs through KVM's "
               "instruction emulator here, at about a million "
               "instructions a second, for either VMM"),
        Metric("no_bootable", "ms", "exec → SeaBIOS's 'No bootable "
               "device.' with no disk", target=("ratio", 0.5),
               guest_bound="the whole of SeaBIOS's POST and boot attempt "
               "runs emulated; the VMM's part is its start-up and the "
               "port I/O it answers"),
    ]
    notes = [
        "Fairness: the same bios-256k.bin (`-bios`), `-m 128`, one vCPU, "
        "`-nodefaults`, the console on stdio, no disk, no NIC; QEMU runs "
        "its `pc` machine (i440FX, SeaBIOS, as QEMU's default) with "
        "`-cpu host,-arch-capabilities` (needed on kvm-pvm) and no "
        "option ROMs beyond what `-nodefaults` leaves.",
        "On a VMX/SVM host SeaBIOS runs at native speed, so the figures "
        "there are the VMMs' own (fw_cfg over port I/O versus DMA, PCI "
        "config exits, memory set-up).",
    ]

    def __init__(self, ctx):
        self.ctx = ctx

    def peer_version(self):
        return version_of([self.ctx.qemu, "-version"])

    def setup(self):
        need_kvm_and_qemu(self.ctx)
        if not os.path.exists(BIOS):
            raise Skip(f"{BIOS} is missing (Debian package seabios)")

    def teardown(self):
        pass

    def argv(self, variant):
        common = ["-m", "128", "-nographic", "-nodefaults", "-serial",
                  "stdio", "-bios", BIOS, "-boot", "reboot-timeout=0",
                  "-no-reboot"]
        if variant == "vmu":
            return [self.ctx.vmu, "-machine", "pc,accel=kvm", "-cpu",
                    "host"] + common
        return [self.ctx.qemu, "-machine", "pc,accel=kvm", "-cpu",
                "host,-arch-capabilities"] + common

    def run(self, variant):
        t = Timed(self.argv(variant), marks=(BANNER, NO_BOOT),
                  timeout=300).run()
        if NO_BOOT not in t.mark_ms or BANNER not in t.mark_ms:
            raise RuntimeError(f"SeaBIOS did not reach '{NO_BOOT}' (status "
                               f"{t.status}): {t.output[-300:]!r}")
        return {"banner": t.mark_ms[BANNER],
                "no_bootable": t.mark_ms[NO_BOOT]}
