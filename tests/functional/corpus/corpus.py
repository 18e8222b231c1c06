"""The corpus: QEMU vhost-user command lines as the projects around
vhost-user document them (QEMU, libvirt, DPDK, OVS-DPDK, VPP, Snabb, kata).

Each entry is one line as its source writes it, with only these changed:
  {SOCK}  the vhost-user socket directory (a temporary directory)
  {HUGE}  the hugetlbfs mount of mem-path= (a directory in /dev/shm, so
          that 25 machines need no huge pages)
  {MEM}   the guest RAM size where the source writes a variable ($mem) or
          gigabytes: 256 (MiB), so that the machines fit a loaded host
  {IMG}   a disk image, {KERNEL} a kernel (the test firmware)
  {PORT}  a free TCP port for a hostfwd= the source gives a fixed one
and shell variables the source leaves to the reader given plain values.

"start" entries must start: a qtest machine whose test hangs up at once
exits 0, with exactly the warnings listed.  The others list the error lines
vmu must print, in order, one per problem: each names the option or device
vmu lacks, and why.
"""

START = "start"

# (source, name, command line, "start" and warnings | errors)
CORPUS = [
    # --- QEMU -----------------------------------------------------------
    ("qemu/qemu qemu-options.hx (-netdev vhost-user, example)",
     "qemu-options-vhost-user",
     "qemu -m 512 -object memory-backend-file,id=mem,size=512M,"
     "mem-path={HUGE},share=on -numa node,memdev=mem "
     "-chardev socket,id=chr0,path={SOCK}/socket "
     "-netdev type=vhost-user,id=net0,chardev=chr0 "
     "-device virtio-net-pci,netdev=net0",
     (START, [])),
    # The QEMU 2.x text of the same example forgot the chardev's id.
    ("qemu/qemu qemu-options.hx (QEMU 2.x, -netdev vhost-user example)",
     "qemu-options-2.x-no-chardev-id",
     "qemu -m 512 -object memory-backend-file,id=mem,size=512M,"
     "mem-path={HUGE},share=on -numa node,memdev=mem "
     "-chardev socket,path={SOCK}/socket "
     "-netdev type=vhost-user,id=net0,chardev=chr0 "
     "-device virtio-net-pci,netdev=net0",
     ["an id is needed: add id=NAME",
      "there is no -chardev with id 'chr0'"]),
    ("qemu/qemu tests/qtest/vhost-user-test.c (QEMU_CMD_MEM, "
     "QEMU_CMD_CHR, QEMU_CMD_NETDEV)",
     "qemu-qtest-vhost-user-file",
     "qemu -m 256 -object memory-backend-file,id=mem,size=256M,"
     "mem-path={HUGE},share=on -numa node,memdev=mem "
     "-chardev socket,id=chr0,path={SOCK}/vhost-user.sock "
     "-netdev vhost-user,id=hs0,chardev=chr0,vhostforce=on "
     "-device virtio-net-pci,netdev=hs0",
     (START, [])),
    # QEMU_CMD_MEMFD: no share= (QEMU's memfd backend shares by default)
    # and a trailing comma before " -numa".
    ("qemu/qemu tests/qtest/vhost-user-test.c (QEMU_CMD_MEMFD)",
     "qemu-qtest-vhost-user-memfd",
     "qemu -m 256 -object memory-backend-memfd,id=mem,size=256M, "
     "-numa node,memdev=mem "
     "-chardev socket,id=chr0,path={SOCK}/vhost-user.sock "
     "-netdev vhost-user,id=hs0,chardev=chr0,vhostforce=on "
     "-device virtio-net-pci,netdev=hs0",
     (START, ["a trailing ',' is ignored"])),
    ("qemu/qemu tests/qtest/vhost-user-test.c (QEMU_CMD_SHM, QEMU 9.1)",
     "qemu-qtest-vhost-user-shm",
     "qemu -m 256 -object memory-backend-shm,id=mem,size=256M, "
     "-numa node,memdev=mem "
     "-chardev socket,id=chr0,path={SOCK}/vhost-user.sock "
     "-netdev vhost-user,id=hs0,chardev=chr0,vhostforce=on "
     "-device virtio-net-pci,netdev=hs0",
     ["unknown object type 'memory-backend-shm'"]),
    # --- libvirt --------------------------------------------------------
    ("libvirt/libvirt tests/qemuxml2argvdata/"
     "net-vhostuser.x86_64-latest.args",
     "libvirt-net-vhostuser",
     "/usr/bin/qemu-system-i386 -name guest=QEMUGuest1,debug-threads=on -S "
     "-object '{\"qom-type\":\"secret\",\"id\":\"masterKey0\","
     "\"format\":\"raw\",\"file\":\"{SOCK}/master-key.aes\"}' "
     "-machine pc,accel=tcg,usb=off,dump-guest-core=off,"
     "memory-backend=pc.ram -cpu qemu64 -m 214 "
     "-object '{\"qom-type\":\"memory-backend-ram\",\"id\":\"pc.ram\","
     "\"size\":224395264}' -overcommit mem-lock=off "
     "-smp 1,sockets=1,cores=1,threads=1 "
     "-uuid c7a5fdbd-edaf-9455-926a-d65c16db1809 -display none "
     "-no-user-config -nodefaults "
     "-chardev socket,id=charmonitor,fd=1729,server=on,wait=off "
     "-mon chardev=charmonitor,id=monitor,mode=control -rtc base=utc "
     "-no-shutdown -no-acpi -boot strict=on "
     "-device piix3-usb-uhci,id=usb,bus=pci.0,addr=0x1.0x2 "
     "-chardev socket,id=charnet0,path={SOCK}/vhost0.sock,server=on "
     "-netdev vhost-user,chardev=charnet0,id=hostnet0 "
     "-device virtio-net-pci,netdev=hostnet0,id=net0,mac=52:54:00:ee:96:6b,"
     "bus=pci.0,addr=0x2 "
     "-chardev socket,id=charnet1,path={SOCK}/vhost1.sock "
     "-netdev vhost-user,chardev=charnet1,id=hostnet1 "
     "-device virtio-net-pci,netdev=hostnet1,id=net1,mac=52:54:00:ee:96:6c,"
     "bus=pci.0,addr=0x3 "
     "-netdev socket,listen=:2015,id=hostnet2 "
     "-device rtl8139,netdev=hostnet2,id=net2,mac=52:54:00:95:db:c0,"
     "bus=pci.0,addr=0x4 "
     "-audiodev id=audio1,driver=none "
     "-sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,"
     "resourcecontrol=deny -msg timestamp=on",
     ["-cpu qemu64: unknown CPU model 'qemu64'",
      "device type 'rtl8139' is not supported: vmu's only NIC is "
      "virtio-net-pci",
      "-machine accel=tcg: vmu has no emulator",
      "-chardev socket,id=charmonitor,fd=1729,server=on,wait=off: fd=1729 "
      "is not open in this process",
      "-netdev socket,listen=:2015,id=hostnet2: listen= is not supported "
      "yet"]),
    # --- OVS-DPDK -------------------------------------------------------
    ("openvswitch/ovs Documentation/topics/dpdk/vhost-user.rst "
     "(vhost-user, QEMU)",
     "ovs-vhost-user",
     "qemu-system-x86_64 "
     "-chardev socket,id=char1,path={SOCK}/vhost-user-1 "
     "-netdev type=vhost-user,id=mynet1,chardev=char1,vhostforce "
     "-device virtio-net-pci,mac=00:00:00:00:00:01,netdev=mynet1 "
     "-object memory-backend-file,id=mem,size={MEM}M,mem-path={HUGE},"
     "share=on -numa node,memdev=mem -mem-prealloc",
     (START, ["short-form boolean 'vhostforce'"])),
    ("openvswitch/ovs Documentation/topics/dpdk/vhost-user.rst "
     "(two vhost-user ports)",
     "ovs-vhost-user-two-ports",
     "qemu-system-x86_64 "
     "-chardev socket,id=char1,path={SOCK}/vhost-user-1 "
     "-netdev type=vhost-user,id=mynet1,chardev=char1,vhostforce "
     "-device virtio-net-pci,mac=00:00:00:00:00:01,netdev=mynet1 "
     "-chardev socket,id=char2,path={SOCK}/vhost-user-2 "
     "-netdev type=vhost-user,id=mynet2,chardev=char2,vhostforce "
     "-device virtio-net-pci,mac=00:00:00:00:00:02,netdev=mynet2 "
     "-object memory-backend-file,id=mem,size={MEM}M,mem-path={HUGE},"
     "share=on -numa node,memdev=mem -mem-prealloc",
     (START, ["short-form boolean 'vhostforce'",
              "short-form boolean 'vhostforce'"])),
    ("openvswitch/ovs Documentation/topics/dpdk/vhost-user.rst "
     "(multiqueue, $q=2, $v=$q*2+2)",
     "ovs-vhost-user-multiqueue",
     "qemu-system-x86_64 "
     "-chardev socket,id=char2,path={SOCK}/vhost-user-2 "
     "-netdev type=vhost-user,id=mynet2,chardev=char2,vhostforce,queues=2 "
     "-device virtio-net-pci,mac=00:00:00:00:00:02,netdev=mynet2,mq=on,"
     "vectors=6 "
     "-object memory-backend-file,id=mem,size={MEM}M,mem-path={HUGE},"
     "share=on -numa node,memdev=mem -mem-prealloc",
     (START, ["short-form boolean 'vhostforce'"])),
    ("openvswitch/ovs Documentation/topics/dpdk/vhost-user.rst "
     "(vhost-user-client: QEMU is the server)",
     "ovs-vhost-user-client",
     "qemu-system-x86_64 "
     "-chardev socket,id=char1,path={SOCK}/vhost-client-1,server "
     "-netdev type=vhost-user,id=mynet1,chardev=char1,vhostforce "
     "-device virtio-net-pci,mac=00:00:00:00:00:01,netdev=mynet1 "
     "-object memory-backend-file,id=mem,size={MEM}M,mem-path={HUGE},"
     "share=on -numa node,memdev=mem -mem-prealloc",
     (START, ["short-form boolean 'server'",
              "short-form boolean 'vhostforce'"])),
    # The jumbo-frames snippet, with the chardev line of vhost-user.rst
    # and its memory lines (the snippet alone names a chardev it lacks).
    ("openvswitch/ovs Documentation/topics/dpdk/jumbo-frames.rst "
     "(mergeable buffers for jumbo frames)",
     "ovs-jumbo-frames",
     "qemu-system-x86_64 "
     "-chardev socket,id=char0,path={SOCK}/vhost-user-1 "
     "-netdev type=vhost-user,id=mynet1,chardev=char0,vhostforce "
     "-device virtio-net-pci,mac=00:00:00:00:00:01,netdev=mynet1,"
     "mrg_rxbuf=on "
     "-object memory-backend-file,id=mem,size={MEM}M,mem-path={HUGE},"
     "share=on -numa node,memdev=mem -mem-prealloc",
     (START, ["short-form boolean 'vhostforce'"])),
    # --- DPDK -----------------------------------------------------------
    ("DPDK/dpdk doc/guides/sample_app_ug/vhost.rst (Start the VM; the "
     "trailing '...' left out)",
     "dpdk-vhost-sample",
     "qemu-system-x86_64 -machine accel=kvm -cpu host "
     "-m {MEM} -object memory-backend-file,id=mem,size={MEM}M,"
     "mem-path={HUGE},share=on -mem-prealloc -numa node,memdev=mem "
     "-chardev socket,id=char1,path={SOCK}/sock0,server "
     "-netdev type=vhost-user,id=hostnet1,chardev=char1 "
     "-device virtio-net-pci,netdev=hostnet1,id=net1,mac=52:54:00:00:00:14",
     (START, ["short-form boolean 'server'"])),
    # DPDK 2.x text: two NICs and no memory backend.  QEMU's plain RAM
    # cannot be shared and the back-end fails to map it; vmu's plain -m is
    # a shared memfd, so this starts and works.
    ("DPDK/dpdk doc/guides/sample_app_ug/vhost.rst (DPDK 2.2, 'For vhost "
     "user'; '...' left out)",
     "dpdk-vhost-sample-2.2",
     "qemu-system-x86_64 "
     "-chardev socket,id=char1,path={SOCK}/usvhost "
     "-netdev type=vhost-user,id=hostnet1,chardev=char1 "
     "-device virtio-net-pci,netdev=hostnet1,id=net1 "
     "-chardev socket,id=char2,path={SOCK}/usvhost2 "
     "-netdev type=vhost-user,id=hostnet2,chardev=char2 "
     "-device virtio-net-pci,netdev=hostnet2,id=net2",
     (START, [])),
    ("DPDK/dpdk doc/guides/howto/pvp_reference_benchmark.rst (Qemu way)",
     "dpdk-pvp-reference",
     "qemu-system-x86_64 -enable-kvm -cpu host -m {MEM} -smp 3 "
     "-chardev socket,id=char0,path={SOCK}/vhost-user1 "
     "-netdev type=vhost-user,id=mynet1,chardev=char0,vhostforce "
     "-device virtio-net-pci,netdev=mynet1,mac=52:54:00:02:d9:01,addr=0x10 "
     "-chardev socket,id=char1,path={SOCK}/vhost-user2 "
     "-netdev type=vhost-user,id=mynet2,chardev=char1,vhostforce "
     "-device virtio-net-pci,netdev=mynet2,mac=52:54:00:02:d9:02,addr=0x11 "
     "-object memory-backend-file,id=mem,size={MEM}M,mem-path={HUGE},"
     "share=on -numa node,memdev=mem -mem-prealloc "
     "-net user,hostfwd=tcp::{PORT}-:22 -net nic "
     "-qmp unix:{SOCK}/qmp.socket,server,nowait "
     "-monitor stdio {IMG}",
     (START, ["short-form boolean 'vhostforce'",
              "short-form boolean 'vhostforce'",
              "vmu has no IDE controller, so this disk is a virtio-blk"])),
    ("DPDK/dpdk doc/guides/howto/lm_virtio_vhost_user.rst "
     "(vm_virtio_vhost_user.sh)",
     "dpdk-lm-vhost-user",
     "/usr/bin/qemu-system-x86_64 -enable-kvm -m {MEM} -smp 6 "
     "-object memory-backend-file,id=mem,size={MEM}M,mem-path={HUGE},"
     "share=on -numa node,memdev=mem,nodeid=0 -cpu host -name VM1 "
     "-no-reboot -net none -vnc none -nographic -hda {IMG} "
     "-chardev socket,id=chr0,path={SOCK}/usvhost "
     "-netdev type=vhost-user,id=net1,chardev=chr0,vhostforce "
     "-device virtio-net-pci,netdev=net1,mac=CC:BB:BB:BB:BB:BB,csum=off,"
     "gso=off,guest_tso4=off,guest_tso6=off,guest_ecn=off "
     "-chardev socket,id=chr1,path={SOCK}/usvhost "
     "-netdev type=vhost-user,id=net2,chardev=chr1,vhostforce "
     "-device virtio-net-pci,netdev=net2,mac=DD:BB:BB:BB:BB:BB,csum=off,"
     "gso=off,guest_tso4=off,guest_tso6=off,guest_ecn=off "
     "-monitor telnet::3333,server,nowait",
     ["mac=DD:BB:BB:BB:BB:BB: give a unicast MAC address"]),
    ("DPDK/dpdk doc/guides/howto/lm_virtio_vhost_user.rst "
     "(vm_virtio_vhost_user_migrate.sh)",
     "dpdk-lm-vhost-user-migrate",
     "/usr/bin/qemu-system-x86_64 -enable-kvm -m {MEM} -smp 6 "
     "-object memory-backend-file,id=mem,size={MEM}M,mem-path={HUGE},"
     "share=on -numa node,memdev=mem,nodeid=0 -cpu host -name VM1 "
     "-no-reboot -net none -vnc none -nographic -hda {IMG} "
     "-chardev socket,id=chr0,path={SOCK}/usvhost "
     "-netdev type=vhost-user,id=net1,chardev=chr0,vhostforce "
     "-device virtio-net-pci,netdev=net1,mac=CC:BB:BB:BB:BB:BB,csum=off,"
     "gso=off,guest_tso4=off,guest_tso6=off,guest_ecn=off "
     "-chardev socket,id=chr1,path={SOCK}/usvhost "
     "-netdev type=vhost-user,id=net2,chardev=chr1,vhostforce "
     "-device virtio-net-pci,netdev=net2,mac=DD:BB:BB:BB:BB:BB,csum=off,"
     "gso=off,guest_tso4=off,guest_tso6=off,guest_ecn=off "
     "-incoming tcp:0:5555 -monitor telnet::3333,server,nowait",
     ["-incoming: not supported: vmu has no migration",
      "mac=DD:BB:BB:BB:BB:BB: give a unicast MAC address"]),
    # No memory backend either (see dpdk-vhost-sample-2.2).
    ("https://www.mail-archive.com/dev@dpdk.org/msg110688.html (DPDK "
     "vdpa sample, VM 1; '<snip>' left out)",
     "dpdk-vdpa-sample",
     "qemu-system-x86_64 -cpu host -enable-kvm -mem-prealloc "
     "-chardev socket,id=char0,path={SOCK}/vhost-user-0 "
     "-netdev type=vhost-user,id=vdpa,chardev=char0,vhostforce "
     "-device virtio-net-pci,netdev=vdpa,mac=00:aa:bb:cc:dd:ee",
     (START, ["short-form boolean 'vhostforce'"])),
    # --- VPP ------------------------------------------------------------
    ("ztz1989/software-switches vpp/v2v.sh (VPP vhost-user bench, "
     "$VM_NAME=vhost-vm, $GUEST_MEM, $CDROM)",
     "vpp-v2v",
     "qemu-system-x86_64 -name vhost-vm -cpu host -enable-kvm "
     "-m {MEM}M -drive file={IMG} --nographic "
     "-numa node,memdev=mem -mem-prealloc -smp sockets=1,cores=4 "
     "-object memory-backend-file,id=mem,size={MEM}M,mem-path={HUGE},"
     "share=on "
     "-chardev socket,id=char0,path={SOCK}/vhost-user-0 "
     "-netdev type=vhost-user,id=mynet1,chardev=char0,vhostforce "
     "-device virtio-net-pci,mac=00:00:00:00:00:01,netdev=mynet1,"
     "mrg_rxbuf=off,csum=off,gso=off,guest_tso4=off,guest_tso6=off,"
     "guest_ecn=off,mq=on,vectors=6 "
     "-net user,hostfwd=tcp::{PORT}-:22 -net nic",
     (START, ["vmu has no IDE controller, so this disk is a virtio-blk",
              "short-form boolean 'vhostforce'"])),
    # The same without the disk: what a vmu user keeps of it (vmu boots
    # SeaBIOS, which finds no disk; the qtest machine stops before).
    ("ztz1989/software-switches vpp/v2v.sh (without -drive)",
     "vpp-v2v-no-disk",
     "qemu-system-x86_64 -name vhost-vm -cpu host -enable-kvm "
     "-m {MEM}M --nographic "
     "-numa node,memdev=mem -mem-prealloc -smp sockets=1,cores=4 "
     "-object memory-backend-file,id=mem,size={MEM}M,mem-path={HUGE},"
     "share=on "
     "-chardev socket,id=char0,path={SOCK}/vhost-user-0 "
     "-netdev type=vhost-user,id=mynet1,chardev=char0,vhostforce "
     "-device virtio-net-pci,mac=00:00:00:00:00:01,netdev=mynet1,"
     "mrg_rxbuf=off,csum=off,gso=off,guest_tso4=off,guest_tso6=off,"
     "guest_ecn=off,mq=on,vectors=6 "
     "-net user,hostfwd=tcp::{PORT}-:22 -net nic",
     (START, ["short-form boolean 'vhostforce'"])),
    # --- Snabb ----------------------------------------------------------
    ("snabbco/snabb src/program/snabbnfv/doc/getting-started.md (ubuntu1)",
     "snabb-getting-started-vm1",
     "/usr/local/bin/qemu-system-x86_64 "
     "-drive if=virtio,file={IMG} -M pc -smp 1 "
     "--enable-kvm -cpu host -m {MEM} -numa node,memdev=mem "
     "-object memory-backend-file,id=mem,size={MEM}M,mem-path={HUGE},"
     "share=on "
     "-chardev socket,id=char0,path={SOCK}/vm1.socket,server "
     "-netdev type=vhost-user,id=net0,chardev=char0 "
     "-device virtio-net-pci,netdev=net0,mac=52:54:00:00:00:01 -vnc :1",
     (START, ["short-form boolean 'server'",
              "-vnc :1: ignored: vmu has no display"])),
    ("snabbco/snabb src/program/snabbnfv/doc/getting-started.md "
     "(OpenBSD guest, vhostforce=on)",
     "snabb-getting-started-vhostforce",
     "/usr/local/bin/qemu-system-x86_64 "
     "-drive if=virtio,file={IMG} -M pc -smp 1 "
     "--enable-kvm -cpu host -m {MEM} -numa node,memdev=mem "
     "-object memory-backend-file,id=mem,size={MEM}M,mem-path={HUGE},"
     "share=on "
     "-chardev socket,id=char0,path={SOCK}/vm1.socket,server "
     "-netdev type=vhost-user,id=net0,chardev=char0,vhostforce=on "
     "-device virtio-net-pci,netdev=net0,mac=52:54:00:00:00:01 -vnc :1",
     (START, ["short-form boolean 'server'",
              "-vnc :1: ignored: vmu has no display"])),
    ("snabbco/snabb src/scripts/bench_env/common.sh (run_qemu_vhost_user; "
     "QUEUES=1 so MQ=off, VECTORS=3, SMP=1)",
     "snabb-bench-env",
     "qemu-system-x86_64 -kernel {KERNEL} -append 'console=ttyS0' "
     "-m {MEM} -numa node,memdev=mem "
     "-object memory-backend-file,id=mem,size={MEM}M,mem-path={HUGE},"
     "share=on "
     "-netdev type=vhost-user,id=net0,chardev=char0,queues=1 "
     "-chardev socket,id=char0,path={SOCK}/vhost.sock,server "
     "-device virtio-net-pci,netdev=net0,mac=52:54:00:00:00:01,mq=off,"
     "vectors=3 "
     "-M pc -smp 1 -cpu host --enable-kvm "
     "-serial telnet:localhost:{PORT},server,nowait "
     "-drive if=virtio,file={IMG} -nographic",
     (START, ["short-form boolean 'server'"])),
    ("snabbco/snabb src/scripts/bench_env/common.sh (run_qemu_vhost_user "
     "with QUEUES=2: MQ=on, VECTORS=5, SMP=2; without the telnet serial "
     "and the disk)",
     "snabb-bench-env-mq",
     "qemu-system-x86_64 -kernel {KERNEL} -append 'console=ttyS0' "
     "-m {MEM} -numa node,memdev=mem "
     "-object memory-backend-file,id=mem,size={MEM}M,mem-path={HUGE},"
     "share=on "
     "-netdev type=vhost-user,id=net0,chardev=char0,queues=2 "
     "-chardev socket,id=char0,path={SOCK}/vhost.sock,server "
     "-device virtio-net-pci,netdev=net0,mac=52:54:00:00:00:01,mq=on,"
     "vectors=5 "
     "-M pc -smp 2 -cpu host --enable-kvm -nographic",
     (START, ["short-form boolean 'server'"])),
    ("ztz1989/software-switches snabb-local/v2v.sh (Snabb vhost-user "
     "bench)",
     "snabb-v2v",
     "qemu-system-x86_64 -name vhost-vm2 -cpu host -enable-kvm "
     "-m {MEM}M -drive file={IMG} --nographic "
     "-numa node,memdev=mem -mem-prealloc -smp sockets=1,cores=4 "
     "-object memory-backend-file,id=mem,size={MEM}M,mem-path={HUGE},"
     "share=on "
     "-chardev socket,id=char0,path={SOCK}/vhost-user-1,server "
     "-netdev type=vhost-user,id=mynet1,chardev=char0,vhostforce "
     "-device virtio-net-pci,mac=00:00:00:00:00:01,netdev=mynet1,"
     "mrg_rxbuf=off,csum=off,gso=off,guest_tso4=off,guest_tso6=off,"
     "guest_ecn=off,mq=on,vectors=6 "
     "-net user,hostfwd=tcp::{PORT}-:22 -net nic",
     (START, ["vmu has no IDE controller, so this disk is a virtio-blk",
              "short-form boolean 'server'",
              "short-form boolean 'vhostforce'"])),
    # --- kata -----------------------------------------------------------
    # The QEMU line kata-runtime generates (q35, its bridges and disks),
    # as a kata user recorded it to start it by hand (the sandbox and
    # image ids shortened).
    ("zhaojizhuang/kata-note qemu/run-vm-with-qemu.md (kata-runtime's "
     "QEMU line)",
     "kata-runtime-qemu",
     "/opt/kata/bin/qemu-system-x86_64 "
     "-name sandbox-41cb92475d2d,debug-threads=on "
     "-uuid e62392aa-df4d-4482-b269-622a8d89fc51 "
     "-machine q35,accel=kvm,kernel_irqchip=on -cpu host,pmu=off "
     "-m 2G,slots=10,maxmem=386044M "
     "-device pci-bridge,bus=pcie.0,id=pci-bridge-0,chassis_nr=1,shpc=off,"
     "addr=2,io-reserve=4k,mem-reserve=1m,pref64-reserve=1m "
     "-serial mon:stdio -device virtio-scsi-pci,id=scsi0,disable-modern=false "
     "-object rng-random,id=rng0,filename=/dev/urandom "
     "-device virtio-rng-pci,rng=rng0 "
     "-rtc base=utc,driftfix=slew,clock=host "
     "-global kvm-pit.lost_tick_policy=discard -vga none -no-user-config "
     "-nodefaults -nographic --no-reboot "
     "-object memory-backend-memfd,id=dimm0,size=2G,hugetlb=on,"
     "hugetlbsize=2M -numa node,memdev=dimm0 -kernel {KERNEL} "
     "-device virtio-blk-pci,disable-modern=false,drive=image-f15d,scsi=off,"
     "config-wce=off,share-rw=on,serial=image-f15d "
     "-drive id=image-f15d,file={IMG},aio=threads,format=raw,if=none,"
     "readonly=on -append 'root=/dev/vda1 ro console=ttyS0' -smp 64 "
     "-qmp unix:{SOCK}/qmp.sock,server=on,wait=off "
     "-device pcie-root-port,port=0x10,chassis=1,id=pci.1,bus=pcie.0,"
     "multifunction=on,addr=0xf "
     "-device pcie-root-port,port=0x11,chassis=2,id=pci.2,bus=pcie.0,"
     "addr=0xf.0x1 "
     "-device virtio-net-pci,netdev=network-0,mac=9a:e8:e9:ea:eb:ec,id=net1,"
     "vectors=9,mq=on "
     "-netdev tap,id=network-0,ifname=tap0,vhost=on,script=no,downscript=no",
     ["device type 'pci-bridge' is not supported: vmu has one PCI bus",
      "device type 'pcie-root-port' is not supported: vmu has one PCI bus",
      "device type 'pcie-root-port' is not supported: vmu has one PCI bus",
      "unsupported machine type 'q35': vmu has only 'pc'"]),
    # --- users' OVS-DPDK lines ------------------------------------------
    ("naftalyava/k8s_ovs_dpdk scratch (OVS-DPDK worker VM)",
     "ovs-k8s-worker",
     "qemu-system-x86_64 -enable-kvm -m {MEM} -smp 2 "
     "-chardev socket,id=char0,path={SOCK}/vhost-user1 "
     "-netdev type=vhost-user,id=mynet1,chardev=char0,vhostforce "
     "-device virtio-net-pci,netdev=mynet1,mac=52:54:00:02:d9:00 "
     "-object memory-backend-file,id=mem,size={MEM}M,mem-path={HUGE},"
     "share=on -numa node,memdev=mem -mem-prealloc "
     "-net user,hostfwd=tcp::{PORT}-:22 -net nic {IMG}",
     (START, ["short-form boolean 'vhostforce'",
              "vmu has no IDE controller, so this disk is a virtio-blk"])),
    ("marinatb/marinatb host-scripts/test_launch2.sh (OVS vhost-user)",
     "ovs-marinatb",
     "qemu-system-x86_64 --enable-kvm "
     "-cpu IvyBridge -smp 4,sockets=2,cores=2,threads=1 "
     "-m {MEM} -mem-path {HUGE} -mem-prealloc "
     "-object memory-backend-file,id=mem1,size={MEM}M,mem-path={HUGE},"
     "share=on -numa node,memdev=mem1 -mem-prealloc "
     "-hda {IMG} "
     "-chardev socket,id=chr1,path={SOCK}/vhost-user-2 "
     "-netdev type=vhost-user,id=net0,chardev=chr1,vhostforce "
     "-device virtio-net-pci,mac=00:00:00:00:00:04,netdev=net0 "
     "-vnc 0.0.0.0:2,password -monitor stdio",
     ["-cpu IvyBridge: unknown CPU model 'IvyBridge'",
      "-mem-path and -numa node,memdev=mem1 both give guest RAM"]),
    ("sireeprojects/research code_dump/dpdk/lm/dryrun.csh (libvirt-style "
     "line with a vhost-user NIC)",
     "research-dryrun",
     "qemu-system-x86_64 -name cdn_avip_vlm_0,debug-threads=on "
     "-enable-kvm -m {MEM} "
     "-object memory-backend-file,id=mem,size={MEM}M,mem-path={HUGE},"
     "share=on -numa node,memdev=mem -mem-prealloc "
     "-smp 2,sockets=1,cores=2,threads=1 -no-user-config "
     "-nodefaults -rtc base=utc -boot strict=on "
     "-device piix3-usb-uhci,id=usb,bus=pci.0,addr=0x1.0x2 "
     "-drive file={IMG},if=none,id=drive-virtio-disk0,format=qcow2 "
     "-device virtio-blk-pci,scsi=off,bus=pci.0,addr=0x5,"
     "drive=drive-virtio-disk0,id=virtio-disk0,bootindex=1 "
     "-chardev pty,id=charserial0 "
     "-device isa-serial,chardev=charserial0,id=serial0 "
     "-device virtio-balloon-pci,id=balloon0,bus=pci.0,addr=0x6 "
     "-msg timestamp=on -daemonize -vnc :1000 -vga std "
     "-chardev socket,id=char1,path={SOCK}/vm_ctrl.sock "
     "-netdev type=vhost-user,id=hostnet1,queues=2,chardev=char1,"
     "vhostforce=on "
     "-device virtio-net-pci,netdev=hostnet1,mq=on,mrg_rxbuf=on,vectors=6,"
     "id=net1,mac=00:60:2f:00:00:02,bus=pci.0,addr=0x7",
     (START, ["piix3-usb-uhci", "virtio-balloon-pci", "-msg timestamp=on",
              "-vnc :1000", "-vga std"])),
]
