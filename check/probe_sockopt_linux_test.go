package check

import (
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// TestSockoptsApplied reads back the socket options a checker connection
// was made with: SO_MARK from fwmark, SO_BINDTODEVICE from bind_if.
func TestSockoptsApplied(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SO_MARK needs CAP_NET_ADMIN")
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	co := connOpts{dest: netip.MustParseAddrPort(ln.Addr().String()), bindIf: "lo", fwmark: 0x1234, timeout: time.Second}
	conn, kind, err := co.dialTCP(testCtx(t))
	if kind != dialOK {
		t.Fatal(err)
	}
	defer conn.Close()
	rc, err := conn.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var mark int
	var dev string
	rc.Control(func(fd uintptr) {
		mark, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_MARK)
		buf := make([]byte, syscall.IFNAMSIZ)
		l := uint32(len(buf))
		syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, syscall.SOL_SOCKET, syscall.SO_BINDTODEVICE,
			uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&l)), 0)
		if l > 0 && buf[l-1] == 0 {
			l--
		}
		dev = string(buf[:l])
	})
	if mark != 0x1234 {
		t.Errorf("SO_MARK %#x, want 0x1234", mark)
	}
	if dev != "lo" {
		t.Errorf("SO_BINDTODEVICE %q, want lo", dev)
	}
}
