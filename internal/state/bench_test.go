package state

import "testing"

// BenchmarkIntentLocal measures one journal intent fsynced in a local
// state directory, the baseline for s3state's BenchmarkIntentRoundTrip.
func BenchmarkIntentLocal(b *testing.B) {
	d, err := Open(b.TempDir(), Options{Command: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.Journal.Intent("servers", "h1", "order", map[string]string{"n": "x"}); err != nil {
			b.Fatal(err)
		}
	}
}
