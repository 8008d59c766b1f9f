package engine

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/launch"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plugin/target"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/resolve"
)

type resolved struct {
	report     *v1alpha1.Report
	agent      launch.Agent
	dnsServers []v1alpha1.DNSServer
	// source is the source pod as read and container the one the agent
	// targets: node mode enters the pod's netns by them.
	source    *corev1.Pod
	container string
	// noAgent says why no ephemeral agent was started ("" when one was).
	noAgent string
	// launchErr is why the agent could not start; the resolution is still
	// valid, so auto mode can fall back to node mode.
	launchErr error
}

type launched struct {
	agent launch.Agent
	err   error
}

// resolveAndLaunch resolves the source, every target and the DNS servers in
// parallel, and starts the agent the moment the source pod is known, so the
// agent's start-up overlaps target resolution. The resolution is shown as soon
// as it is complete, while the agent may still be starting.
func (r *run) resolveAndLaunch(ctx context.Context) (resolved, error) {
	res := &resolve.Resolver{Client: r.deps.Client, Namespace: r.cfg.Namespace}
	report := &v1alpha1.Report{
		APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.KindReport, Mode: r.startMode(),
		Targets: make([]v1alpha1.Target, len(r.cfg.Targets)),
	}
	var out resolved

	launchCtx, cancelLaunch := context.WithCancel(ctx)
	defer cancelLaunch()
	launchDone := make(chan launched, 1)
	launchStarted := false
	var pullErr error

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		pod, src, err := res.Source(gctx, r.cfg.Source)
		if err != nil {
			return err
		}
		report.Source = src
		container, err := resolve.TargetContainer(pod, r.cfg.Container)
		if err != nil {
			return err
		}
		out.source, out.container = pod, container
		if out.noAgent = r.skipAgent(pod); out.noAgent != "" {
			return nil
		}
		// Nothing is launched for a pod that lacks the pull secrets. The error
		// waits for the other lookups instead of cancelling them: a request
		// cancelled mid-body makes client-go log a line of its own.
		if pullErr = launch.CheckPullSecrets(pod, r.cfg.ImagePullSecrets); pullErr != nil {
			return nil
		}
		launchStarted = true
		go func() {
			agent, err := r.launcher().EnsureEphemeralAgent(launchCtx, pod, r.agentSpec(), container)
			launchDone <- launched{agent, err}
		}()
		return nil
	})
	for i, spec := range r.cfg.Targets {
		g.Go(func() error {
			t, err := res.Target(gctx, spec)
			report.Targets[i] = t
			return err
		})
	}
	if needsDNS(r.cfg.Targets) {
		g.Go(func() error {
			servers, err := res.DNSServers(gctx)
			if err != nil && gctx.Err() == nil { // not when another error already cancelled the group
				// Without them DNS still runs against resolv.conf; say what is missing.
				r.deps.Progress.Infof("warning: cannot list the CoreDNS endpoints, DNS is checked through resolv.conf only: %v", err)
			}
			out.dnsServers = servers
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		if launchStarted {
			cancelLaunch()
			<-launchDone // never leave a goroutine patching pods behind
		}
		return resolved{}, err
	}
	if pullErr != nil {
		return resolved{}, pullErr
	}
	out.report = report
	if r.cfg.mode() == ModeNode {
		report.ModeReason = "--mode node"
	}
	r.deps.Progress.Resolved(report)
	if !launchStarted {
		return out, nil
	}

	l := <-launchDone
	if l.err != nil {
		out.launchErr = l.err
		return out, l.err
	}
	report.ModeReason = fmt.Sprintf("ephemeral agent %s in the source pod", l.agent.Container)
	if l.agent.Reused {
		report.ModeReason = fmt.Sprintf("reused ephemeral agent %s in the source pod", l.agent.Container)
	}
	out.report, out.agent = report, l.agent
	return out, nil
}

// needsDNS: only names get DNS checks, and only they need the CoreDNS endpoints.
func needsDNS(specs []target.Spec) bool {
	for _, s := range specs {
		if s.Kind == target.KindService || s.Kind == target.KindDNS || s.Kind == target.KindHost {
			return true
		}
	}
	return false
}

// imageTag is the tag of an image reference ("dev" for repo/netcheck-probe:dev).
func imageTag(image string) string {
	if i := strings.LastIndex(image, "@"); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndex(image, ":"); i >= 0 && !strings.Contains(image[i:], "/") {
		return image[i+1:]
	}
	return "latest"
}
