// Package kube holds the plugin's cluster plumbing that is not resolution or
// launch: exec into an agent (WebSocket first, SPDY fallback), decoding the
// probe's NDJSON stream as it arrives, and turning API errors into the fix the
// user needs.
package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	// client-go's WebSocket transport returns this package's errors; the
	// older copy in k8s.io/apimachinery has its own types, which never match.
	"k8s.io/streaming/pkg/httpstream"
)

// ExecRequest names a container and the command to run in it.
type ExecRequest struct {
	Namespace string
	Pod       string
	Container string
	Command   []string
	// Stdin, when set, is streamed to the command's stdin (WebSocket and SPDY
	// both carry it); its end closes the command's stdin where the protocol
	// can say so. It must end once the exec has: client-go reads it in a
	// goroutine of its own that nothing else stops.
	Stdin io.Reader
}

// Executor runs a command in a container, streaming its stdout and stderr, until
// it exits or ctx ends. The engine depends on this interface so unit tests can
// replay recorded probe output instead of talking to a cluster.
type Executor interface {
	Exec(ctx context.Context, req ExecRequest, stdout, stderr io.Writer) error
}

// RemoteExecutor execs through the API server's pods/exec subresource.
type RemoteExecutor struct {
	Config *rest.Config
	Client kubernetes.Interface
}

// Exec runs req over WebSocket (the API server default since 1.31) and falls back to
// SPDY when the server or a proxy in between cannot upgrade to WebSocket.
func (e *RemoteExecutor) Exec(ctx context.Context, req ExecRequest, stdout, stderr io.Writer) error {
	u := e.Client.CoreV1().RESTClient().Post().
		Resource("pods").Namespace(req.Namespace).Name(req.Pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{
			Container: req.Container,
			Command:   req.Command,
			Stdin:     req.Stdin != nil,
			Stdout:    true,
			Stderr:    true,
		}, scheme.ParameterCodec).URL()

	spdy, err := remotecommand.NewSPDYExecutor(e.Config, "POST", u)
	if err != nil {
		return fmt.Errorf("exec into %s/%s (%s): spdy: %w", req.Namespace, req.Pod, req.Container, err)
	}
	ws, err := remotecommand.NewWebSocketExecutor(e.Config, "GET", u.String())
	if err != nil {
		return fmt.Errorf("exec into %s/%s (%s): websocket: %w", req.Namespace, req.Pod, req.Container, err)
	}
	exec, err := remotecommand.NewFallbackExecutor(ws, spdy, fallBackToSPDY)
	if err != nil {
		return fmt.Errorf("exec into %s/%s (%s): %w", req.Namespace, req.Pod, req.Container, err)
	}
	if err := exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: req.Stdin, Stdout: stdout, Stderr: stderr}); err != nil {
		return fmt.Errorf("exec into %s/%s (%s): %w", req.Namespace, req.Pod, req.Container, err)
	}
	return nil
}

// fallBackToSPDY: the WebSocket upgrade (a GET) failed, so try SPDY (a POST),
// as kubectl exec does. This covers API servers before 1.30, proxies that
// cannot upgrade, and RBAC that grants only "create" on pods/exec: an API
// server may authorize the WebSocket GET as "get" (v1.33 does).
func fallBackToSPDY(err error) bool {
	// A container not running yet is the kubelet's answer, not a failed
	// upgrade: SPDY would only get the same answer one round trip later.
	return (httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)) && !ContainerNotStarted(err)
}

// ContainerNotStarted reports an exec the kubelet refused because the
// container does not run in the container runtime yet. The kubelet answers
// `container not found ("NAME")` (the API server relays it as "unable to
// upgrade connection: container not found ..."), the same for a container
// that is still being created and for one that will never start: only the
// pod status tells those apart.
func ContainerNotStarted(err error) bool {
	return err != nil && strings.Contains(err.Error(), "container not found (")
}

// AgentGone reports an exec into an agent whose process has ended, typically
// at its idle timeout between the plugin's look at the pod and its exec: the
// exec ran nothing (ErrNoOutput), or the runtime refused it because the
// container stopped (runc: "cannot exec in a stopped container").
func AgentGone(err error) bool {
	return errors.Is(err, ErrNoOutput) || (err != nil && strings.Contains(err.Error(), "cannot exec in a stopped container"))
}
