"""bench/bringup-driver: the same compiled qtest guest-driver sequence
under vmu or QEMU, with a vhost-user virtio-net-pci on a given chardev."""
import os
import subprocess

RAM = "256M"


def start(ctx, variant, chardev):
    """Start the VMM under the driver; returns (process, timestamps) once
    DRIVER_OK has been handled.  End it with end()."""
    env = dict(os.environ)
    env.pop("QTEST_QEMU_BINARY", None)
    if variant == "vmu":
        env["QTEST_VMU_BINARY"] = ctx.vmu
    else:
        env["QTEST_QEMU_BINARY"] = ctx.qemu
    args = (f"-m {RAM} -object memory-backend-memfd,id=mem,size={RAM},"
            f"share=on -numa node,memdev=mem -chardev {chardev} "
            f"-netdev vhost-user,id=n0,chardev=c0 "
            f"-device virtio-net-pci,netdev=n0,disable-legacy=on")
    p = subprocess.Popen([path(ctx), args], env=env, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    line = p.stdout.readline()
    if not line.startswith("t_exec="):
        p.kill()
        _, err = p.communicate()
        raise RuntimeError(f"driver failed: {line} {err[-300:]}")
    return p, {k: int(v, 0) for k, v in
               (kv.split("=") for kv in line.split())}


def end(p):
    try:
        p.communicate("quit\n", timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()


def require(ctx):
    """Skip (with the reason) unless testpmd, QEMU and the driver exist."""
    from lib import testpmd
    from lib.report import Skip
    if not testpmd.available():
        raise Skip("dpdk-testpmd is not installed")
    if not os.path.exists(ctx.qemu):
        raise Skip("qemu-system-x86_64 is not installed")
    if not os.path.exists(path(ctx)):
        raise Skip("bench/bringup-driver is not built")


def path(ctx):
    return os.path.join(ctx.build, "bench", "bringup-driver")
