"""The one list of skips `make check` allows, and the skip() every
functional test calls.

A test may skip only for a host capability the project cannot install.
Under `make check` (VMU_TEST_STRICT=1) any other skip -- testpmd, QEMU,
busybox, hugepages or root missing, a peer that did not start -- is a
failure: scripts/install-deps provides those, so a skip would hide a broken
install step.  By hand (`meson test`) such a skip stays a skip, with its
reason.  scripts/test-summary prints every skip of a run with its reason.
"""
import os
import sys

SKIP = 77

# key: why the project cannot provide it.  Keep docs/devel/testing.md
# ("Skips") in step with this table.
HOST_CAPABILITIES = {
    "kvm": "no usable /dev/kvm: the host has no KVM (a kernel and hardware "
           "matter, not a package)",
    "kvm-linux": "a Linux guest needs a VMX/SVM /dev/kvm; kvm-pvm (nested "
                 "paravirtual KVM) stops Linux in early boot",
    "vhost-net": "no /dev/vhost-net on this host (a kernel module, not a "
                 "package)",
    "hugepage-size": "the kernel's default huge page size is not 2 MiB "
                     "(a boot parameter, not a package)",
    "cpus": "fewer than two CPUs: dpdk-testpmd's forwarding core needs a "
            "second one",
    "amd": "the host CPU is not an AMD one (a Linux guest's view of the "
           "AMD CPUID policy needs one)",
}


def strict():
    return os.environ.get("VMU_TEST_STRICT") == "1"


def skip(reason, host=None, cleanup=None):
    """Skip with @reason; @host names an entry of HOST_CAPABILITIES when the
    reason is one.  Under VMU_TEST_STRICT=1 any other skip fails."""
    if host is not None and host not in HOST_CAPABILITIES:
        raise ValueError("skip(host=%r): not in HOST_CAPABILITIES" % host)
    if cleanup:
        cleanup()
    if host:
        print("SKIP (host: %s): %s" % (host, reason), flush=True)
        sys.exit(SKIP)
    if strict():
        print("FAIL: this test would skip (%s), but under make check only "
              "host capabilities may be missing; scripts/install-deps "
              "provides this one, so the install or the set-up is broken"
              % reason, flush=True)
        sys.exit(1)
    print("SKIP: " + reason, flush=True)
    sys.exit(SKIP)
