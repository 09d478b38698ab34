package parser

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in ../testdata")

// TestGoldenConfigs pins the whole typed configuration, every default
// included, of the example configurations, and the diagnostics they get.
// Run `go test ./parser -run Golden -update` after a deliberate change and
// review the diff.
func TestGoldenConfigs(t *testing.T) {
	for _, name := range []string{"lvs-dr"} {
		t.Run(name, func(t *testing.T) {
			conf := filepath.Join("..", "testdata", name+".conf")
			r := Load(conf, Options{Host: testHost, ReadOptions: ReadOptions{ConfigID: "testhost"}, noScriptCheck: true})
			var got bytes.Buffer
			enc := json.NewEncoder(&got)
			enc.SetIndent("", "  ")
			if err := enc.Encode(struct {
				ExitCode    int         `json:"exit_code"`
				Diagnostics Diagnostics `json:"diagnostics"`
				Config      *Config     `json:"config"`
			}{r.ExitCode(false), r.Diagnostics, r.Config}); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("..", "testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("typed configuration of %s differs from %s; rerun with -update and review the diff:\n%s", conf, golden, got.String())
			}
		})
	}
}
