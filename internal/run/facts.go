package run

import (
	"reflect"
	"sync"
)

// Facts carries what the steps of one run observed for the steps after
// them (a server's address, the VLAN Scaleway assigned). The runner does not
// know what is in it: a package that shares observations keeps one typed
// table here, of a type it owns, which Table finds by that type.
type Facts struct {
	mu     sync.Mutex
	tables map[reflect.Type]any
}

// Table is f's one *T, a zero T made on first use: the typed table a
// package keeps its facts of this run in. T guards its own fields.
func Table[T any](f *Facts) *T {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := reflect.TypeFor[T]()
	if t, ok := f.tables[k]; ok {
		return t.(*T)
	}
	if f.tables == nil {
		f.tables = map[reflect.Type]any{}
	}
	t := new(T)
	f.tables[k] = t
	return t
}
