package faults

import (
	"testing"

	"github.com/kubectl-netcheck/kubectl-netcheck/e2e/cluster/lab"
)

// Sysctl sets key (dotted, "net.ipv4.ip_forward") to value inside the network
// namespace at netnsPath and puts the old value back at cleanup. net.* keys
// are per namespace; other keys are machine-wide whatever the namespace.
func Sysctl(t testing.TB, netnsPath, key, value string) {
	t.Helper()
	var old string
	err := inNetns(netnsPath, func() error {
		var err error
		if old, err = lab.ReadSysctl(key); err != nil {
			return err
		}
		return lab.WriteSysctl(key, value)
	})
	if err != nil {
		t.Fatalf("faults: sysctl %s=%s in %s: %v", key, value, netnsPath, err)
	}
	t.Logf("faults: sysctl %s %s -> %s in %s", key, old, value, netnsPath)
	t.Cleanup(func() {
		if err := inNetns(netnsPath, func() error { return lab.WriteSysctl(key, old) }); err != nil {
			t.Errorf("faults: restore sysctl %s=%s in %s: %v", key, old, netnsPath, err)
		}
	})
}

// ReadSysctl reads key inside the network namespace at netnsPath.
func ReadSysctl(netnsPath, key string) (string, error) {
	var v string
	err := inNetns(netnsPath, func() error {
		var err error
		v, err = lab.ReadSysctl(key)
		return err
	})
	return v, err
}
