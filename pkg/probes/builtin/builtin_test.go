//go:build linux

package builtin

import (
	"slices"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

func TestRegistryHasEveryCheck(t *testing.T) {
	got := Registry().Names()
	want := []string{v1alpha1.CheckDNS, v1alpha1.CheckICMP, v1alpha1.CheckNetInfo, v1alpha1.CheckNodeInfo, v1alpha1.CheckNSScan, v1alpha1.CheckTCP, v1alpha1.CheckTrace}
	if !slices.Equal(got, want) {
		t.Errorf("names %v, want %v", got, want)
	}
	for name, c := range Registry() {
		if c.Name() != name {
			t.Errorf("check registered as %q calls itself %q", name, c.Name())
		}
	}
}
