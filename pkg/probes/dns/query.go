package dns

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
)

// Query is one planned query.
type Query struct {
	Server    Server
	Transport string
	Type      string
	QName     string
}

// Plan is every name x server x type x transport, in that nesting order, so the
// result reads like the application's own sequence of lookups.
func Plan(names []string, servers []Server, types, transports []string) []Query {
	var out []Query
	for _, n := range names {
		for _, s := range servers {
			for _, ty := range types {
				for _, tr := range transports {
					out = append(out, Query{Server: s, Transport: tr, Type: ty, QName: n})
				}
			}
		}
	}
	return out
}

// runAll runs the plan with bounded parallelism; results keep the plan's order.
func (c *Check) runAll(ctx context.Context, plan []Query, timeout time.Duration, attempts int) []v1alpha1.DNSQuery {
	out := make([]v1alpha1.DNSQuery, len(plan))
	sem := make(chan struct{}, queryParallelism)
	var wg sync.WaitGroup
	for i, q := range plan {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			for try := 0; try < attempts; try++ {
				out[i] = c.exchange(ctx, q, timeout)
				if out[i].Rcode != "" || ctx.Err() != nil {
					break // an answer, whatever its rcode, is not retried
				}
			}
		})
	}
	wg.Wait()
	return out
}

// exchange runs Exchange inside Enter when set.
func (c *Check) exchange(ctx context.Context, q Query, timeout time.Duration) v1alpha1.DNSQuery {
	if c.Enter == nil {
		return Exchange(ctx, q, timeout)
	}
	var r v1alpha1.DNSQuery
	if err := c.Enter(func() error { r = Exchange(ctx, q, timeout); return nil }); err != nil {
		r = record(q)
		r.Error = err.Error()
	}
	return r
}

// Exchange sends one query to one server from the calling thread's network
// namespace and records the rcode, answers, TC bit and RTT, or the timeout/error.
func Exchange(ctx context.Context, q Query, timeout time.Duration) v1alpha1.DNSQuery {
	r := record(q)
	m := new(mdns.Msg)
	m.SetQuestion(q.QName, mdns.StringToType[q.Type])
	m.RecursionDesired = true
	cl := &mdns.Client{Net: q.Transport, Timeout: timeout}
	qctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, rtt, err := cl.ExchangeContext(qctx, m, q.Server.Addr)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
			r.Timeout = true
		}
		r.Error = err.Error()
		return r
	}
	r.RTTMillis = float64(rtt.Microseconds()) / 1000
	r.Rcode = mdns.RcodeToString[resp.Rcode]
	r.Truncated = resp.Truncated
	for _, rr := range resp.Answer {
		r.Answers = append(r.Answers, answerText(rr))
	}
	return r
}

func record(q Query) v1alpha1.DNSQuery {
	return v1alpha1.DNSQuery{Server: q.Server.Addr, ServerName: q.Server.Name, Role: q.Server.Role,
		Transport: q.Transport, Type: q.Type, QName: q.QName}
}

// answerText renders an answer compactly: the address for A/AAAA, otherwise
// "TYPE rdata" (e.g. "CNAME web.default.svc.cluster.local.").
func answerText(rr mdns.RR) string {
	switch v := rr.(type) {
	case *mdns.A:
		return v.A.String()
	case *mdns.AAAA:
		return v.AAAA.String()
	}
	hdr := rr.Header().String()
	return mdns.TypeToString[rr.Header().Rrtype] + " " + strings.TrimSpace(strings.TrimPrefix(rr.String(), hdr))
}
