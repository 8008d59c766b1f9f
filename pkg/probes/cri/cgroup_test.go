package cri

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

const (
	idA = "4c01db0b339c4e0b8a7d2f4e3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"
	idB = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
)

func TestContainerIDFromCgroup(t *testing.T) {
	for _, tc := range []struct {
		name, file, want string
	}{
		{name: "v2 containerd systemd", want: idA,
			file: "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f1e2d3c_4b5a_6978_8796_a5b4c3d2e1f0.slice/cri-containerd-" + idA + ".scope\n"},
		{name: "v2 crio systemd", want: idA,
			file: "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1234.slice/crio-" + idA + ".scope\n"},
		{name: "v2 crio nested container cgroup", want: idA,
			file: "0::/kubepods.slice/kubepods-pod1234.slice/crio-" + idA + ".scope/container\n"},
		{name: "v2 crio conmon is not the container", want: "",
			file: "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1234.slice/crio-conmon-" + idA + ".scope\n"},
		{name: "v2 cgroupfs driver", want: idB,
			file: "0::/kubepods/besteffort/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/" + idB + "\n"},
		{name: "v2 relative under private cgroupns", want: idA,
			file: "0::/../../kubepods-besteffort-pod1234.slice/cri-containerd-" + idA + ".scope\n"},
		{name: "v2 host process", want: "",
			file: "0::/system.slice/containerd.service\n"},
		{name: "v2 probe's own container under cgroupns", want: "",
			file: "0::/\n"},
		{name: "v1 cgroupfs one line per hierarchy", want: idB,
			file: "12:pids:/kubepods/burstable/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/" + idB + "\n" +
				"11:memory:/kubepods/burstable/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/" + idB + "\n" +
				"10:cpu,cpuacct:/kubepods/burstable/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/" + idB + "\n" +
				"1:name=systemd:/kubepods/burstable/pod0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/" + idB + "\n"},
		{name: "v1 systemd driver containerd", want: idA,
			file: "9:devices:/kubepods.slice/kubepods-pod1234.slice/cri-containerd-" + idA + ".scope\n" +
				"1:name=systemd:/kubepods.slice/kubepods-pod1234.slice/cri-containerd-" + idA + ".scope\n"},
		{name: "v1 docker", want: idB,
			file: "4:memory:/docker/" + idB + "\n"},
		{name: "hybrid v1+v2 host", want: "",
			file: "1:name=systemd:/user.slice/user-0.slice/session-1.scope\n0::/user.slice/user-0.slice/session-1.scope\n"},
		{name: "63 hex is not an ID", want: "",
			file: "0::/kubepods/besteffort/pod1/" + idA[:63] + "\n"},
		{name: "65 hex is not an ID", want: "",
			file: "0::/kubepods/besteffort/pod1/" + idA + "0\n"},
		{name: "empty", want: "", file: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ContainerIDFromCgroup(tc.file); got != tc.want {
				t.Fatalf("ContainerIDFromCgroup() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNormalizeContainerID(t *testing.T) {
	for _, in := range []string{idA, "containerd://" + idA, "cri-o://" + idA, "docker://" + idA} {
		if got, err := NormalizeContainerID(in); err != nil || got != idA {
			t.Errorf("NormalizeContainerID(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", idA[:12], "containerd://" + idA[:12], "ZZ" + idA[2:]} {
		if _, err := NormalizeContainerID(in); err == nil {
			t.Errorf("NormalizeContainerID(%q) accepted a non-ID", in)
		}
	}
}

// writeProc lays out a fake procfs tree: pid -> (ppid, cgroup file).
func writeProc(t *testing.T, procs map[int][2]string) string {
	t.Helper()
	root := t.TempDir()
	for pid, p := range procs {
		dir := filepath.Join(root, strconv.Itoa(pid))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		stat := strconv.Itoa(pid) + " (proc " + strconv.Itoa(pid) + ") S " + p[0] + " 1 1 0 -1\n"
		if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(stat), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "cgroup"), []byte(p[1]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestFindPIDByCgroupPicksContainerInit(t *testing.T) {
	cg := func(id string) string {
		return "0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-" + id + ".scope\n"
	}
	root := writeProc(t, map[int][2]string{
		1:   {"0", "0::/init.scope\n"},
		900: {"1", "0::/system.slice/containerd.service\n"},                                  // the shim
		901: {"900", cg(idA)},                                                                // container A init
		950: {"901", cg(idA)},                                                                // a worker A forked
		120: {"901", cg(idA)},                                                                // PID wrapped: lower than init
		902: {"900", cg(idB)},                                                                // container B
		903: {"1", "0::/kubepods.slice/kubepods-pod1.slice/crio-conmon-" + idA + ".scope\n"}, // conmon
	})
	pid, err := FindPIDByCgroup(root, "containerd://"+idA)
	if err != nil || pid != 901 {
		t.Fatalf("FindPIDByCgroup(A) = %d, %v; want 901", pid, err)
	}
	if pid, err := FindPIDByCgroup(root, idB); err != nil || pid != 902 {
		t.Fatalf("FindPIDByCgroup(B) = %d, %v; want 902", pid, err)
	}
	missing := "0000000000000000000000000000000000000000000000000000000000000000"
	if _, err := FindPIDByCgroup(root, missing); err == nil {
		t.Fatal("FindPIDByCgroup(missing) found a process")
	}
}

// TestFindPIDByCgroupRealProcess checks the fallback against the real /proc: the
// test process itself must be found by the ID in its own cgroup, when it runs in
// a container; on a plain host there is nothing to find and the test says so.
func TestFindPIDByCgroupRealProcess(t *testing.T) {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Skipf("no /proc/self/cgroup: %v", err)
	}
	id := ContainerIDFromCgroup(string(data))
	if id == "" {
		t.Skipf("this test does not run inside a container (cgroup %q)", data)
	}
	pid, err := FindPIDByCgroup("/proc", id)
	if err != nil || pid <= 0 {
		t.Fatalf("FindPIDByCgroup(own container %s) = %d, %v", id[:12], pid, err)
	}
}
