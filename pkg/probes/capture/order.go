package capture

import (
	"cmp"
	"slices"
)

// sortByTime orders packets by capture time; packets stamped alike keep the
// interface order, which is the request order of the hops.
func sortByTime(p []Packet) {
	slices.SortStableFunc(p, func(a, b Packet) int {
		if c := a.Info.Timestamp.Compare(b.Info.Timestamp); c != 0 {
			return c
		}
		return cmp.Compare(a.Iface, b.Iface)
	})
}
