// Package ipvs drives the kernel's IP Virtual Server table the way
// gokeepalived's checker side needs it: as a desired state.
//
// The package has three layers:
//
//   - the model: [Table], [Service], [Destination], [SyncDaemon] — plain
//     values describing what the kernel table should hold (services by
//     address+port+protocol or by fwmark, schedulers and their flags,
//     persistence, destinations with weight, forwarding method, tunnel
//     options and thresholds, IPv4 and IPv6, and the connection sync
//     daemons);
//   - the diff and the [Reconciler]: read the kernel's table (or use what
//     the last run left), compute the smallest ordered list of [Op]s that
//     turns it into the desired table without touching entries gokeepalived
//     does not own, apply them and report what was done;
//   - the [Kernel] interface with its Linux implementation (driver_linux.go,
//     over github.com/moby/ipvs with raw generic netlink for what moby/ipvs
//     cannot express) and an in-memory implementation for tests in
//     package ipvstest.
//
// Translating keepalived.conf into a Table is the check package's job; this
// package knows nothing of the configuration file.
package ipvs
