package inventory

import (
	"os"
	"testing"
)

// BenchmarkLoadProd measures loading, defaulting, validating and planning
// the largest shipped inventory: what every command pays before it starts.
func BenchmarkLoadProd(b *testing.B) {
	data, err := os.ReadFile("../../inventories/prod-3az.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadBytes("prod-3az.yaml", data, "../../inventories"); err != nil {
			b.Fatal(err)
		}
	}
}
