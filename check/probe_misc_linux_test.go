package check

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/gokeepalived/gokeepalived/parser"
)

// TestMiscScriptSignalMask: a script starts with no signal blocked even
// when the thread that starts it has some blocked.
func TestMiscScriptSignalMask(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "mask")
	// Shell builtins only: while the shell forks a command it blocks
	// every signal for a moment, and a child reading the shell's status
	// then would see that.
	path := writeScript(t, `while read -r k v; do [ "$k" = SigBlk: ] && echo "$v" > `+out+`; done < /proc/$$/status; exit 0`)
	done := make(chan ScriptResult, 1)
	go func() {
		// This thread blocks SIGTERM and is then thrown away.
		runtime.LockOSThread()
		set := uint64(1) << (uint(syscall.SIGTERM) - 1)
		const sigBlock = 0 // SIG_BLOCK
		syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, sigBlock, uintptr(unsafe.Pointer(&set)), 0, 8, 0, 0)
		done <- ExecScriptRunner{}.Run(testCtx(t), &parser.Script{Argv: []string{path}, UID: -1, GID: -1}, 5e9)
	}()
	if r := <-done; r.Err != nil || r.Status != 0 {
		t.Fatalf("script: %+v", r)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(b)); got != "0000000000000000" {
		t.Errorf("script started with signals blocked: %s", got)
	}
}
