package vrrp

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/gokeepalived/gokeepalived/parser"
)

// Every VRRP configuration of the shared corpus of real keepalived.conf
// files builds a machine, and random event sequences on it keep the
// invariants of fsmCheck.
func TestMachineOnCorpus(t *testing.T) {
	root := filepath.Join("..", "..", "shared", "corpus")
	var files []string
	for _, dir := range []string{"keepalived-samples", "wild"} {
		m, _ := filepath.Glob(filepath.Join(root, dir, "*"))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skipf("no corpus at %s", root)
	}
	built := 0
	r := rand.New(rand.NewPCG(3, 4))
	for _, f := range files {
		if st, err := os.Stat(f); err != nil || st.IsDir() {
			continue
		}
		res := parser.Load(f, parser.Options{Host: fsmHost{}})
		if res.Config == nil || len(res.Config.Instances) == 0 {
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, err := NewMachine(res.Config, Facts{}); err != nil {
				t.Fatalf("NewMachine: %v", err)
			}
			built++
			for i := 0; i < 5; i++ {
				data := make([]byte, 3*100)
				for j := range data {
					data[j] = byte(r.Uint32())
				}
				fsmCheck(t, res.Config, data)
			}
		})
	}
	if built < 50 {
		t.Errorf("only %d corpus configurations built a machine", built)
	}
}
