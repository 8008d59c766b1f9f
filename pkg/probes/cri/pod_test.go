package cri

import (
	"errors"
	"slices"
	"testing"
)

const (
	podUID        = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	podUIDSystemd = "0f1e2d3c_4b5a_6978_8796_a5b4c3d2e1f0"
	staticPodUID  = "d41d8cd98f00b204e9800998ecf8427e" // a static pod's UID is its config hash
)

func TestPodUIDFromCgroup(t *testing.T) {
	for _, tc := range []struct {
		name, file, want string
	}{
		{name: "v1 cgroupfs burstable", want: podUID,
			file: "12:pids:/kubepods/burstable/pod" + podUID + "/" + idB + "\n1:name=systemd:/kubepods/burstable/pod" + podUID + "/" + idB + "\n"},
		{name: "v1 cgroupfs guaranteed has no QoS level", want: podUID,
			file: "4:memory:/kubepods/pod" + podUID + "/" + idB + "\n"},
		{name: "v2 systemd besteffort", want: podUID,
			file: "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + podUIDSystemd + ".slice/cri-containerd-" + idA + ".scope\n"},
		{name: "v2 systemd guaranteed", want: podUID,
			file: "0::/kubepods.slice/kubepods-pod" + podUIDSystemd + ".slice/cri-containerd-" + idA + ".scope\n"},
		{name: "the pod cgroup itself (a process the runtime put there)", want: podUID,
			file: "0::/kubepods/besteffort/pod" + podUID + "\n"},
		{name: "static pod, cgroupfs", want: staticPodUID,
			file: "4:pids:/kubepods/burstable/pod" + staticPodUID + "/" + idA + "\n"},
		{name: "relative under a private cgroup namespace", want: podUID,
			file: "0::/../kubepods-burstable-pod" + podUIDSystemd + ".slice/cri-containerd-" + idA + ".scope\n"},
		{name: "upper case is normalised", want: podUID,
			file: "0::/kubepods/besteffort/pod0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0/x\n"},
		{name: "the QoS slice is not a pod", want: "", file: "0::/kubepods.slice/kubepods-besteffort.slice\n"},
		{name: "a host process", want: "", file: "0::/system.slice/containerd.service\n"},
		{name: "pod prefix without a UID", want: "", file: "0::/kubepods/besteffort/pod1/" + idA + "\n"},
		{name: "podman's libpod is not a pod cgroup", want: "", file: "0::/machine.slice/libpod-" + idA + ".scope\n"},
		{name: "empty", want: "", file: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PodUIDFromCgroup(tc.file); got != tc.want {
				t.Fatalf("PodUIDFromCgroup() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNormalizePodUID(t *testing.T) {
	for in, want := range map[string]string{podUIDSystemd: podUID, podUID: podUID, staticPodUID: staticPodUID} {
		if got, err := NormalizePodUID(in); err != nil || got != want {
			t.Errorf("NormalizePodUID(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1234", podUID + "0", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1fz", "../../etc"} {
		if _, err := NormalizePodUID(bad); err == nil {
			t.Errorf("NormalizePodUID(%q) accepted", bad)
		}
	}
}

func TestPodPIDs(t *testing.T) {
	other := "11111111-2222-3333-4444-555555555555"
	root := writeProc(t, map[int][2]string{
		1:   {"0", "0::/init.scope\n"},
		900: {"1", "0::/system.slice/containerd.service\n"},                                                                                                // the shim
		901: {"900", "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + podUIDSystemd + ".slice/cri-containerd-" + idA + ".scope\n"}, // pause
		902: {"900", "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + podUIDSystemd + ".slice/cri-containerd-" + idB + ".scope\n"}, // app
		950: {"900", "0::/kubepods/besteffort/pod" + other + "/" + idA + "\n"},
	})
	pids, err := PodPIDs(root, podUIDSystemd)
	if err != nil || !slices.Equal(pids, []int{901, 902}) {
		t.Fatalf("PodPIDs = %v, %v; want [901 902]", pids, err)
	}
	if pids, err := ContainerPIDs(root, "containerd://"+idB); err != nil || !slices.Equal(pids, []int{902}) {
		t.Fatalf("ContainerPIDs(B) = %v, %v; want [902]", pids, err)
	}
	if _, err := PodPIDs(root, "99999999-2222-3333-4444-555555555555"); !errors.Is(err, ErrNotFound) {
		t.Errorf("PodPIDs(absent) err = %v, want ErrNotFound", err)
	}
	if _, err := PodPIDs(root, "not-a-uid"); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("PodPIDs(malformed) err = %v, want a validation error", err)
	}
}
