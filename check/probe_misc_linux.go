package check

import (
	"os/exec"
	"runtime"
	"syscall"
	"unsafe"
)

// startScript starts cmd from a thread whose signal mask is empty. Go
// hands the calling thread's mask to the child, so a thread that blocked
// signals (a locked thread, code that called sigprocmask) would pass them
// on; keepalived's scripts start with none blocked, and a script with
// SIGTERM blocked would only die from the SIGKILL that follows a timeout.
func startScript(cmd *exec.Cmd) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var empty [8]byte
	const sigSetMask = 2 // SIG_SETMASK
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, sigSetMask, uintptr(unsafe.Pointer(&empty[0])), 0, uintptr(len(empty)), 0, 0)
	return cmd.Start()
}
