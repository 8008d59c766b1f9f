package main

import (
	"reflect"
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/version"
)

func TestImageRefs(t *testing.T) {
	cases := map[string][]string{
		// A dev build's default reference already is the local one.
		"dev": {"localhost/netcheck/netcheck-probe:dev"},
		// A release is importable under both names.
		"v1.2.3": {"localhost/netcheck/netcheck-probe:1.2.3", version.DefaultRegistry + "/netcheck-probe:1.2.3"},
	}
	for ver, want := range cases {
		if got := version.ImageRefs(ver); !reflect.DeepEqual(got, want) {
			t.Errorf("ImageRefs(%q) = %v, want %v", ver, got, want)
		}
	}
	if version.Version != "dev" {
		t.Errorf("ImageRefs leaked version %q into the package", version.Version)
	}
}
