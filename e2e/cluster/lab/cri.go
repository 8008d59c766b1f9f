package lab

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// criClient dials a node's containerd CRI endpoint.
func (l *Lab) criClient(n Node) (runtimeapi.RuntimeServiceClient, func(), error) {
	conn, err := grpc.NewClient("unix://"+l.ContainerdSock(n), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, nil, fmt.Errorf("dial %s CRI: %w", n.Name, err)
	}
	return runtimeapi.NewRuntimeServiceClient(conn), func() { _ = conn.Close() }, nil
}

// waitCRI waits until the node's containerd answers CRI Version.
func (l *Lab) waitCRI(ctx context.Context, n Node) error {
	rs, closeFn, err := l.criClient(n)
	if err != nil {
		return err
	}
	defer closeFn()
	return l.waitFor(ctx, n.Name+" containerd", DaemonName(n, containerdD), 30*time.Second, func(ctx context.Context) error {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_, err := rs.Version(cctx, &runtimeapi.VersionRequest{})
		return err
	})
}

// removeAllPods stops and removes every pod sandbox of a node through the CRI,
// the way the kubelet does: containers die, CNI DEL releases the IP and the
// veth, and containerd unmounts the pod's network namespace.
func (l *Lab) removeAllPods(ctx context.Context, n Node) error {
	rs, closeFn, err := l.criClient(n)
	if err != nil {
		return err
	}
	defer closeFn()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	list, err := rs.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return fmt.Errorf("%s: list pod sandboxes: %w", n.Name, err)
	}
	var errs []error
	for _, sb := range list.Items {
		if _, err := rs.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: sb.Id}); err != nil {
			errs = append(errs, fmt.Errorf("%s: stop sandbox %s (%s): %w", n.Name, sb.Metadata.GetName(), sb.Id, err))
			continue
		}
		if _, err := rs.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: sb.Id}); err != nil {
			errs = append(errs, fmt.Errorf("%s: remove sandbox %s: %w", n.Name, sb.Metadata.GetName(), err))
		}
	}
	return errors.Join(errs...)
}
