/*
 * What the machine is, as libvirt's probe and a person ask for it:
 * query-target, -kvm, -name, -uuid, -machines, -cpus-fast,
 * -hotpluggable-cpus, -cpu-definitions, -chardev, -pci,
 * -command-line-options, and migration capabilities (vmu has none).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hw/pci/pci.h"
#include "monitor-internal.h"
#include "system/accel.h"
#include "system/compat-options.h"
#include "system/kvm.h"
#include "system/machine.h"

static JsonNode *array_node(JsonArray *a)
{
    JsonNode *n = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(n, a);
    return n;
}

static JsonNode *qmp_query_target(JsonObject *args, Error **errp)
{
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "arch", "x86_64");
    return json_obj_node(o);
}

static bool kvm_present(void)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    close(fd);
    return true;
}

static bool accel_is(const char *name)
{
    return accel && !strcmp(accel->name, name);
}

static JsonNode *qmp_query_kvm(JsonObject *args, Error **errp)
{
    JsonObject *o = json_object_new();
    json_object_set_boolean_member(o, "enabled", accel_is("kvm"));
    json_object_set_boolean_member(o, "present", accel_is("kvm") ||
                                   kvm_present());
    return json_obj_node(o);
}

static JsonNode *qmp_query_name(JsonObject *args, Error **errp)
{
    JsonObject *o = json_object_new();
    if (current_machine && current_machine->name) {
        json_object_set_string_member(o, "name", current_machine->name);
    }
    return json_obj_node(o);
}

static JsonNode *qmp_query_uuid(JsonObject *args, Error **errp)
{
    const FirmwareOptions *fw = firmware_options();
    uint8_t zero[16] = { 0 };
    const uint8_t *u = fw->has_uuid ? fw->uuid : zero;
    char text[37];
    snprintf(text, sizeof(text), "%02x%02x%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3],
             u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
             u[14], u[15]);
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "UUID", text);
    return json_obj_node(o);
}

static void machine_add(JsonArray *a, const char *name, const char *alias,
                        bool is_default, int cpu_max)
{
    JsonObject *m = json_object_new();
    json_object_set_string_member(m, "name", name);
    if (alias) {
        json_object_set_string_member(m, "alias", alias);
    }
    if (is_default) {
        json_object_set_boolean_member(m, "is-default", TRUE);
    }
    json_object_set_int_member(m, "cpu-max", cpu_max);
    json_object_set_boolean_member(m, "hotpluggable-cpus", FALSE);
    json_object_set_boolean_member(m, "numa-mem-supported", FALSE);
    json_object_set_boolean_member(m, "deprecated", FALSE);
    json_object_set_boolean_member(m, "acpi", !strcmp(name, "none") ?
                                   FALSE : TRUE);
    if (strcmp(name, "none")) {
        json_object_set_string_member(m, "default-cpu-type",
                                      "host-x86_64-cpu");
        json_object_set_string_member(m, "default-ram-id", "pc.ram");
    }
    json_array_add_object_element(a, m);
}

static JsonNode *qmp_query_machines(JsonObject *args, Error **errp)
{
    JsonArray *a = json_array_new();
    machine_add(a, "pc-i440fx-7.2", "pc", true, 255);
    machine_add(a, "none", NULL, false, 1);
    return array_node(a);
}

static JsonObject *cpu_props(unsigned i)
{
    JsonObject *p = json_object_new();
    json_object_set_int_member(p, "core-id", 0);
    json_object_set_int_member(p, "thread-id", 0);
    json_object_set_int_member(p, "socket-id", i);
    return p;
}

/* vCPU i is socket i (one core, one thread each): -smp N as vmu builds it. */
static JsonNode *qmp_query_cpus_fast(JsonObject *args, Error **errp)
{
    JsonArray *a = json_array_new();
    unsigned n = accel_is("kvm") ? kvm_vcpu_count() :
                 current_machine ? current_machine->smp_cpus : 0;
    for (unsigned i = 0; i < n; i++) {
        JsonObject *c = json_object_new();
        char *path = g_strdup_printf("/machine/unattached/device[%u]", i);
        int tid = accel_is("kvm") ? kvm_vcpu_thread_id(i) : 0;
        json_object_set_int_member(c, "cpu-index", i);
        json_object_set_string_member(c, "qom-path", path);
        json_object_set_int_member(c, "thread-id", tid ? tid : getpid());
        json_object_set_object_member(c, "props", cpu_props(i));
        json_object_set_string_member(c, "target", "x86_64");
        json_array_add_object_element(a, c);
        g_free(path);
    }
    return array_node(a);
}

static JsonNode *qmp_query_hotpluggable_cpus(JsonObject *args, Error **errp)
{
    JsonArray *a = json_array_new();
    unsigned n = current_machine ? current_machine->smp_cpus : 0;
    for (unsigned i = 0; i < n; i++) {
        JsonObject *c = json_object_new();
        char *path = g_strdup_printf("/machine/unattached/device[%u]", i);
        json_object_set_string_member(c, "type", "host-x86_64-cpu");
        json_object_set_int_member(c, "vcpus-count", 1);
        json_object_set_object_member(c, "props", cpu_props(i));
        json_object_set_string_member(c, "qom-path", path);
        json_array_add_object_element(a, c);
        g_free(path);
    }
    return array_node(a);
}

static JsonNode *qmp_query_cpu_definitions(JsonObject *args, Error **errp)
{
    static const char *const models[] = { "host", "max" };
    JsonArray *a = json_array_new();
    for (unsigned i = 0; i < G_N_ELEMENTS(models); i++) {
        JsonObject *c = json_object_new();
        char *type = g_strdup_printf("%s-x86_64-cpu", models[i]);
        json_object_set_string_member(c, "name", models[i]);
        json_object_set_string_member(c, "typename", type);
        json_object_set_boolean_member(c, "static", FALSE);
        json_object_set_boolean_member(c, "migration-safe", FALSE);
        json_object_set_array_member(c, "unavailable-features",
                                     json_array_new());
        json_object_set_boolean_member(c, "deprecated", FALSE);
        json_array_add_object_element(a, c);
        g_free(type);
    }
    return array_node(a);
}

static void chardev_info(Chardev *chr, void *opaque)
{
    if (!chr->id) {
        return;
    }
    JsonObject *c = json_object_new();
    char *filename = g_strdup_printf("%s:%s", !strcmp(chr->type, "socket") &&
                                     !g_str_has_prefix(chr->label, "tcp:") ?
                                     "unix" : chr->type, chr->label);
    json_object_set_string_member(c, "label", chr->id);
    json_object_set_string_member(c, "filename",
                                  g_str_has_prefix(chr->label, "tcp:") ?
                                  chr->label : filename);
    json_object_set_boolean_member(c, "frontend-open", chr->owner != NULL);
    json_array_add_object_element(opaque, c);
    g_free(filename);
}

static JsonNode *qmp_query_chardev(JsonObject *args, Error **errp)
{
    JsonArray *a = json_array_new();
    chardev_foreach(chardev_info, a);
    return array_node(a);
}

static JsonObject *pci_device_info(PCIDevice *d)
{
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "bus", 0);
    json_object_set_int_member(o, "slot", d->devfn >> 3);
    json_object_set_int_member(o, "function", d->devfn & 7);
    JsonObject *cls = json_object_new();
    json_object_set_int_member(cls, "class",
                               pci_config_read(d, PCI_CLASS_DEVICE, 2));
    json_object_set_object_member(o, "class_info", cls);
    JsonObject *id = json_object_new();
    json_object_set_int_member(id, "device",
                               pci_config_read(d, PCI_DEVICE_ID, 2));
    json_object_set_int_member(id, "vendor",
                               pci_config_read(d, PCI_VENDOR_ID, 2));
    json_object_set_int_member(id, "subsystem",
                               pci_config_read(d, PCI_SUBSYSTEM_ID, 2));
    json_object_set_int_member(id, "subsystem-vendor",
                               pci_config_read(d, PCI_SUBSYSTEM_VENDOR_ID,
                                               2));
    json_object_set_object_member(o, "id", id);
    unsigned irq = pci_config_read(d, PCI_INTERRUPT_LINE, 1);
    if (pci_config_read(d, PCI_INTERRUPT_PIN, 1)) {
        json_object_set_int_member(o, "irq", irq);
        json_object_set_string_member(o, "irq_pin", "INTA");
    }
    json_object_set_string_member(o, "qdev_id", d->name);
    JsonArray *regions = json_array_new();
    for (unsigned b = 0; b < PCI_NUM_BARS; b++) {
        if (!d->bars[b].size) {
            continue;
        }
        JsonObject *r = json_object_new();
        bool io = d->bars[b].type & PCI_BASE_ADDRESS_SPACE_IO;
        json_object_set_int_member(r, "bar", b);
        json_object_set_string_member(r, "type", io ? "io" : "memory");
        json_object_set_int_member(r, "address",
                                   d->bars[b].addr == PCI_BAR_UNMAPPED ?
                                   -1 : (gint64)d->bars[b].addr);
        json_object_set_int_member(r, "size", d->bars[b].size);
        json_array_add_object_element(regions, r);
    }
    json_object_set_array_member(o, "regions", regions);
    return o;
}

static JsonNode *qmp_query_pci(JsonObject *args, Error **errp)
{
    JsonArray *devices = json_array_new();
    for (unsigned devfn = 0; devfn < 256; devfn++) {
        PCIDevice *d = pci_find_device(devfn);
        if (d) {
            json_array_add_object_element(devices, pci_device_info(d));
        }
    }
    JsonObject *bus = json_object_new();
    json_object_set_int_member(bus, "bus", 0);
    json_object_set_array_member(bus, "devices", devices);
    JsonArray *a = json_array_new();
    json_array_add_object_element(a, bus);
    return array_node(a);
}

/* libvirt asks which options exist; vmu lists its own (no parameters). */
static JsonNode *qmp_query_command_line_options(JsonObject *args,
                                                Error **errp)
{
    static const char *const opts[] = {
        "machine", "accel", "chardev", "netdev", "device", "object", "smp",
        "m", "name", "mem-path", "numa", "boot", "serial", "qmp", "mon",
        "monitor", "pidfile", "daemonize", "trace", "add-fd", "fw_cfg",
        "rtc", "uuid", "smbios", "overcommit", "sandbox", "msg", "global",
    };
    const char *want = json_object_has_member(args, "option") ?
        json_object_get_string_member(args, "option") : NULL;
    JsonArray *a = json_array_new();
    for (unsigned i = 0; i < G_N_ELEMENTS(opts); i++) {
        if (want && strcmp(want, opts[i])) {
            continue;
        }
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "option", opts[i]);
        json_object_set_array_member(o, "parameters", json_array_new());
        json_array_add_object_element(a, o);
    }
    if (want && !json_array_get_length(a)) {
        json_array_unref(a);
        error_setg(errp, "invalid option name: %s", want);
        return NULL;
    }
    return array_node(a);
}

static JsonNode *qmp_query_migrate_capabilities(JsonObject *args,
                                                Error **errp)
{
    return array_node(json_array_new());
}

static JsonNode *qmp_migrate_set_capabilities(JsonObject *args, Error **errp)
{
    JsonArray *caps = json_object_get_array_member(args, "capabilities");
    if (json_array_get_length(caps)) {
        error_setg(errp, "vmu has no migration, so no migration capability "
                   "can be set");
    }
    return NULL;
}

void qmp_register_machine_commands(void)
{
    qmp_register_command("query-target", qmp_query_target, "", "object");
    qmp_register_command("query-kvm", qmp_query_kvm, "", "object");
    qmp_register_command("query-name", qmp_query_name, "", "object");
    qmp_register_command("query-uuid", qmp_query_uuid, "", "object");
    qmp_register_command("query-machines", qmp_query_machines,
                         "?compat-props:bool", "array");
    qmp_register_command("query-cpus-fast", qmp_query_cpus_fast, "",
                         "array");
    qmp_register_command("query-hotpluggable-cpus",
                         qmp_query_hotpluggable_cpus, "", "array");
    qmp_register_command("query-cpu-definitions", qmp_query_cpu_definitions,
                         "", "array");
    qmp_register_command("query-chardev", qmp_query_chardev, "", "array");
    qmp_register_command("query-pci", qmp_query_pci, "", "array");
    qmp_register_command("query-command-line-options",
                         qmp_query_command_line_options, "?option:str",
                         "array");
    qmp_register_command("query-migrate-capabilities",
                         qmp_query_migrate_capabilities, "", "array");
    qmp_register_command("migrate-set-capabilities",
                         qmp_migrate_set_capabilities,
                         "capabilities:array", "object");
}
