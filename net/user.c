/*
 * -netdev user: user-mode networking with libslirp.  Only its options
 * exist so far: they are checked, then start-up refuses the type as "not
 * supported yet" (README's status table; no open issue asks for it).
 */
#include <stddef.h>

#include "system/registry.h"

static const OptDesc user_desc[] = {
    { "net", OPT_STRING, "guest network, ADDR[/MASK] (10.0.2.0/24)" },
    { "host", OPT_STRING, "the host's address as the guest sees it" },
    { "hostfwd", OPT_STRING, "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT" },
    { "guestfwd", OPT_STRING, "tcp:SERVER:PORT-CMD or -DEV" },
    { "restrict", OPT_BOOL, "isolate the guest from the host" },
    { "ipv4", OPT_BOOL, "IPv4 on (default on)" },
    { "ipv6", OPT_BOOL, "IPv6 on (default on)" },
    { "ipv6-net", OPT_STRING, "guest IPv6 prefix" },
    { "ipv6-host", OPT_STRING, "the host's IPv6 address" },
    { "ipv6-dns", OPT_STRING, "the DNS server's IPv6 address" },
    { "hostname", OPT_STRING, "DHCP host name" },
    { "dhcpstart", OPT_STRING, "first DHCP address" },
    { "dns", OPT_STRING, "DNS server address" },
    { "dnssearch", OPT_STRING, "DNS search domain" },
    { "domainname", OPT_STRING, "DHCP domain name" },
    { "tftp", OPT_STRING, "TFTP root directory" },
    { "tftp-server-name", OPT_STRING, "TFTP server name" },
    { "bootfile", OPT_STRING, "BOOTP file name" },
    { "smb", OPT_STRING, "SMB share directory" },
    { "smbserver", OPT_STRING, "SMB server address" },
    { NULL, 0, NULL },
};

static const TypeInfo user_info = {
    .kind = TYPE_KIND_NETDEV,
    .name = "user",
    .help = "user-mode networking (libslirp)",
    .opts = user_desc,
    .needs_id = true,
    .create = NULL,
};

static void net_user_register(void)
{
    type_register(&user_info);
}
type_init(net_user_register)
