package kube

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// An API server whose RBAC allows "create" but not "get" on pods/exec answers
// the WebSocket upgrade (a GET) with 403; the executor must then try SPDY (a
// POST), as kubectl exec does, instead of failing the run.
func TestExecFallsBackToSPDYWhenTheWebSocketIsForbidden(t *testing.T) {
	var (
		mu      sync.Mutex
		methods []string
	)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		methods = append(methods, r.Method)
		mu.Unlock()
		verb := map[string]string{http.MethodGet: "get", http.MethodPost: "create"}[r.Method]
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,`+
			`"message":"pods \"p\" is forbidden: User \"u\" cannot `+verb+` resource \"pods/exec\" in API group \"\" in the namespace \"ns\""}`)
	}))
	e := executorFor(t, srv)
	err := e.Exec(context.Background(), ExecRequest{Namespace: "ns", Pod: "p", Container: "c", Command: []string{"/netcheck-probe", "run"}}, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("exec against a server that forbids both succeeded")
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(methods, []string{http.MethodGet, http.MethodPost}) {
		t.Errorf("requests %v, want the WebSocket GET then the SPDY POST", methods)
	}
	if !strings.Contains(err.Error(), "cannot create resource") {
		t.Errorf("error %v: want SPDY's own answer, the last one", err)
	}
}

// The exec asks the API server for the command's stdin only when the request
// carries one: an exec with stdin attached but never fed would leave the
// probe reading a stream nobody writes.
func TestExecAsksForStdinOnlyWhenGiven(t *testing.T) {
	var (
		mu    sync.Mutex
		stdin []string
	)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		stdin = append(stdin, r.Method+" stdin="+r.URL.Query().Get("stdin"))
		mu.Unlock()
		w.WriteHeader(http.StatusForbidden)
	}))
	e := executorFor(t, srv)
	req := ExecRequest{Namespace: "ns", Pod: "p", Container: "c", Command: []string{"/netcheck-probe", "run"}}
	_ = e.Exec(context.Background(), req, io.Discard, io.Discard)
	req.Stdin = strings.NewReader("stop\n")
	_ = e.Exec(context.Background(), req, io.Discard, io.Discard)
	mu.Lock()
	defer mu.Unlock()
	want := []string{"GET stdin=", "POST stdin=", "GET stdin=true", "POST stdin=true"}
	if !slices.Equal(stdin, want) {
		t.Errorf("requests %q, want %q", stdin, want)
	}
}

// executorFor is a RemoteExecutor talking to srv, closed when the test ends.
func executorFor(t *testing.T, srv *httptest.Server) *RemoteExecutor {
	t.Helper()
	t.Cleanup(srv.Close)
	cfg := &rest.Config{Host: srv.URL, TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &RemoteExecutor{Config: cfg, Client: client}
}
