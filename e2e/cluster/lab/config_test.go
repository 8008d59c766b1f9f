package lab

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestK8sWrapperGoModReplacesEveryStagingModule(t *testing.T) {
	mod := k8sWrapperGoMod()
	if got := strings.Count(mod, "\nreplace "); got != 31 || len(k8sStaging) != 31 {
		t.Errorf("%d replace lines for %d staging modules, want 31", got, len(k8sStaging))
	}
	for _, want := range []string{"require k8s.io/kubernetes v1.33.13", "replace k8s.io/client-go => k8s.io/client-go v0.33.13", "godebug default=go1.24"} {
		if !strings.Contains(mod, want) {
			t.Errorf("go.mod lacks %q:\n%s", want, mod)
		}
	}
}

func TestK8sLdflagsStampVersion(t *testing.T) {
	f := k8sLdflags()
	for _, want := range []string{"k8s.io/component-base/version.gitVersion=v1.33.13", "k8s.io/client-go/pkg/version.gitMinor=33", "k8s.io/component-base/version.gitMajor=1"} {
		if !strings.Contains(f, want) {
			t.Errorf("ldflags lack %s: %s", want, f)
		}
	}
}

func TestSubnetEnvToConflist(t *testing.T) {
	path := filepath.Join(t.TempDir(), "subnet.env")
	env := "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1500\nFLANNEL_IPMASQ=true\n"
	if err := os.WriteFile(path, []byte(env), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := readSubnetEnv(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Subnet, err = networkOf(s.Subnet); err != nil {
		t.Fatal(err)
	}
	data, err := cniConflist(s, "/lab/ipam")
	if err != nil {
		t.Fatal(err)
	}
	var conf struct {
		Name    string
		Plugins []struct {
			Type      string
			Bridge    string
			IPMasq    bool `json:"ipMasq"`
			MTU       int
			IsGateway bool `json:"isGateway"`
			IPAM      struct {
				Ranges  [][]map[string]string
				Routes  []map[string]string
				DataDir string `json:"dataDir"`
			}
		}
	}
	if err := json.Unmarshal(data, &conf); err != nil {
		t.Fatal(err)
	}
	br := conf.Plugins[0]
	if br.Type != "bridge" || br.Bridge != "cni0" || !br.IsGateway || br.MTU != 1500 || br.IPMasq {
		t.Errorf("bridge plugin = %+v: want cni0 gateway, MTU 1500, no masquerade (flanneld masquerades)", br)
	}
	if got := br.IPAM.Ranges[0][0]["subnet"]; got != "10.244.1.0/24" {
		t.Errorf("IPAM subnet = %s, want the node's flannel subnet 10.244.1.0/24", got)
	}
	if br.IPAM.Routes[0]["dst"] != "10.244.0.0/16" || br.IPAM.DataDir != "/lab/ipam" {
		t.Errorf("IPAM = %+v", br.IPAM)
	}
	if conf.Plugins[1].Type != "portmap" {
		t.Errorf("second plugin = %s, want portmap", conf.Plugins[1].Type)
	}
}

func TestReadSubnetEnvRejectsPartialFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "subnet.env")
	if err := os.WriteFile(path, []byte("FLANNEL_NETWORK=10.244.0.0/16\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readSubnetEnv(path); err == nil {
		t.Error("a subnet.env without subnet and MTU was accepted")
	}
}

func TestGuardRulesetDropsForwardingOutOfEachUplink(t *testing.T) {
	rs := guardRuleset([]string{"eth0", "ens5"})
	for _, want := range []string{"table inet netcheck_guard", "hook forward priority -300", `oifname "eth0" counter drop`, `oifname "ens5" counter drop`} {
		if !strings.Contains(rs, want) {
			t.Errorf("ruleset lacks %q:\n%s", want, rs)
		}
	}
}

func TestIsRootModule(t *testing.T) {
	if !isRootModule([]byte("module github.com/kubectl-netcheck/kubectl-netcheck\n\ngo 1.26.0\n")) {
		t.Error("root go.mod not recognised")
	}
	if isRootModule([]byte("module github.com/kubectl-netcheck/kubectl-netcheck/e2e/flanneld\n")) {
		t.Error("the nested flanneld module taken for the root")
	}
}
