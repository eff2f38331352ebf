package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must never panic, and
// whatever it rejects it rejects with positioned problems.
func FuzzLoad(f *testing.F) {
	for _, glob := range []string{"testdata/*.yaml", "../../inventories/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := LoadBytes("fuzz.yaml", data, "testdata")
		if err == nil {
			if l.Layout == nil || l.Cluster == nil {
				t.Fatal("accepted inventory without a layout")
			}
			return
		}
		var probs Problems
		if !errors.As(err, &probs) || len(probs) == 0 {
			t.Fatalf("rejection is not a list of problems: %T %v", err, err)
		}
		for _, p := range probs {
			if !strings.HasPrefix(p.String(), "fuzz.yaml") || p.Message == "" {
				t.Fatalf("problem without file or message: %#v", p)
			}
		}
	})
}
