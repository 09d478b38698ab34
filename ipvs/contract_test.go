package ipvs_test

import (
	"context"
	"errors"
	"syscall"
	"testing"

	"github.com/gokeepalived/gokeepalived/ipvs"
	"github.com/gokeepalived/gokeepalived/ipvs/ipvstest"
)

// kernelContract is what the reconciler relies on from a kernel: the
// answers to commands that cannot be done. It runs against the in-memory
// kernel here and against the real one in the VM (TestVMKernelContract),
// so the fake is held to the kernel's behaviour.
func kernelContract(t *testing.T, k ipvs.Kernel) {
	ctx := context.Background()
	web := svc(ipvs.AddrKey(ipvs.TCP, ip("10.0.0.1"), 80), "wrr")
	missing := svc(ipvs.AddrKey(ipvs.TCP, ip("10.0.0.2"), 80), "wrr")
	d1 := dst("10.0.1.1", 80, ipvs.Route, 1)
	bad6 := svc(ipvs.AddrKey(ipvs.TCP, ip("2001:db8::1"), 80), "wrr")
	bad6.Netmask = 0
	lth := dst("10.0.1.3", 80, ipvs.Route, 1)
	lth.LowerThreshold = 5
	gue := ipvs.Destination{Addr: ip("10.0.1.4"), Port: 80, Forward: ipvs.Tunnel, TunnelType: ipvs.TunnelGUE}
	d2 := dst("10.0.1.2", 80, ipvs.Route, 1)
	v6dr := dst("2001:db8::5", 80, ipvs.Route, 1)
	v6tun := dst("2001:db8::5", 80, ipvs.Tunnel, 1)
	daemon := ipvs.SyncDaemon{State: ipvs.SyncMaster, Interface: "lo", SyncID: 1}
	for _, step := range []struct {
		name string
		op   ipvs.Op
		want error
	}{
		{"add service", ipvs.Op{Kind: ipvs.OpAddService, Service: web}, nil},
		{"add it again", ipvs.Op{Kind: ipvs.OpAddService, Service: web}, syscall.EEXIST},
		{"edit a missing service", ipvs.Op{Kind: ipvs.OpEditService, Service: missing}, syscall.ESRCH},
		{"delete a missing service", ipvs.Op{Kind: ipvs.OpDelService, Service: missing}, syscall.ESRCH},
		{"unknown scheduler", ipvs.Op{Kind: ipvs.OpAddService, Service: svc(missing.ServiceKey, "nosuch")}, syscall.ENOENT},
		{"IPv6 netmask 0", ipvs.Op{Kind: ipvs.OpAddService, Service: bad6}, syscall.EINVAL},
		{"dest of a missing service", ipvs.Op{Kind: ipvs.OpAddDest, Service: missing, Dest: &d1}, syscall.ESRCH},
		{"add dest", ipvs.Op{Kind: ipvs.OpAddDest, Service: web, Dest: &d1}, nil},
		{"add it again", ipvs.Op{Kind: ipvs.OpAddDest, Service: web, Dest: &d1}, syscall.EEXIST},
		{"edit a missing dest", ipvs.Op{Kind: ipvs.OpEditDest, Service: web, Dest: &d2}, syscall.ENOENT},
		{"delete a missing dest", ipvs.Op{Kind: ipvs.OpDelDest, Service: web, Dest: &d2}, syscall.ENOENT},
		// The kernel checks the values before it looks the entry up.
		{"edit a missing dest with bad thresholds", ipvs.Op{Kind: ipvs.OpEditDest, Service: web, Dest: &lth}, syscall.ERANGE},
		{"lower threshold above upper", ipvs.Op{Kind: ipvs.OpAddDest, Service: web, Dest: &lth}, syscall.ERANGE},
		{"gue without port", ipvs.Op{Kind: ipvs.OpAddDest, Service: web, Dest: &gue}, syscall.EINVAL},
		{"other family, not tunnelled", ipvs.Op{Kind: ipvs.OpAddDest, Service: web, Dest: &v6dr}, syscall.EINVAL},
		{"other family, tunnelled", ipvs.Op{Kind: ipvs.OpAddDest, Service: web, Dest: &v6tun}, nil},
		{"stop a daemon that does not run", ipvs.Op{Kind: ipvs.OpStopDaemon, Daemon: &daemon}, syscall.ESRCH},
		{"delete dest", ipvs.Op{Kind: ipvs.OpDelDest, Service: web, Dest: &d1}, nil},
		{"delete service", ipvs.Op{Kind: ipvs.OpDelService, Service: web}, nil},
	} {
		err := k.Apply(ctx, step.op)
		if (step.want == nil) != (err == nil) || (step.want != nil && !errors.Is(err, step.want)) {
			t.Errorf("%s (%s): %v, want %v", step.name, step.op, err, step.want)
		}
	}
	if got := dump(t, k); len(got.Services) != 0 {
		t.Errorf("left %v", got.Services)
	}
}

func TestKernelContractFake(t *testing.T) {
	kernelContract(t, &ipvstest.Kernel{})
}
