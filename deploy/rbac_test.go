package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"testing"

	yamlv3 "go.yaml.in/yaml/v3"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

const (
	rbacFile = "rbac.yaml"
	// subject is the group every binding in rbac.yaml names.
	subject = "netcheck-users"
	// ns is the placeholder namespace of the namespaced Roles.
	ns = "default"
)

// request is one API call the plugin makes, as the RBAC authorizer sees it.
type request struct {
	verb, group, resource string // resource may be "pods/exec"
	namespace             string // "" for a cluster-scoped resource
	name                  string // the object's name, "" for list and create
}

func (q request) String() string {
	group := q.group
	if group == "" {
		group = "core"
	}
	return fmt.Sprintf("%s %s (%s) namespace=%q name=%q", q.verb, q.resource, group, q.namespace, q.name)
}

// The calls of each mode: pkg/resolve (source, targets, DNS servers),
// pkg/launch (the ephemeral-container patch and WaitRunning's watch) and
// pkg/kube (the exec of each run). The node view (pkg/launch's node pods,
// pkg/resolve's node facts) creates, follows, execs into and deletes the node
// pod, reads the node, and lists the node's pods in every namespace. Every
// call must be allowed, and every grant must serve one of them: the Roles are
// exactly these calls.
var modes = map[string]struct {
	roles    []string // Role or ClusterRole names that make up the mode
	requests []request
}{
	"pod view": {
		roles: []string{"netcheck-pod-view", "netcheck-dns-view"},
		requests: []request{
			{verb: "get", resource: "pods", namespace: ns, name: "web-0"},                     // source pod by name
			{verb: "get", group: "apps", resource: "deployments", namespace: ns, name: "web"}, // source deploy/web
			{verb: "list", resource: "pods", namespace: ns},                                   // pods of a deployment or service; WaitRunning
			{verb: "watch", resource: "pods", namespace: ns},                                  // WaitRunning
			{verb: "get", resource: "services", namespace: ns, name: "db"},                    // target service
			{verb: "list", group: "discovery.k8s.io", resource: "endpointslices", namespace: ns},
			{verb: "patch", resource: "pods/ephemeralcontainers", namespace: ns, name: "web-0"},
			{verb: "create", resource: "pods/exec", namespace: ns, name: "web-0"},
			{verb: "list", group: "discovery.k8s.io", resource: "endpointslices", namespace: "kube-system"}, // DNS servers
		},
	},
	"node view": {
		roles: []string{"netcheck-node-view"},
		requests: []request{
			{verb: "get", resource: "nodes", name: "node-1"},
			{verb: "create", resource: "pods", namespace: ns},
			{verb: "get", resource: "pods", namespace: ns, name: "netcheck-node-1-abcde"},
			{verb: "list", resource: "pods", namespace: ns},  // WaitRunning; leftovers by label
			{verb: "watch", resource: "pods", namespace: ns}, // WaitRunning
			{verb: "delete", resource: "pods", namespace: ns, name: "netcheck-node-1-abcde"},
			{verb: "create", resource: "pods/exec", namespace: ns, name: "netcheck-node-1-abcde"},
			{verb: "list", resource: "pods"}, // the namespace scan's live pods of the node, every namespace
		},
	},
}

// forbidden are calls no mode may allow: the point of least privilege.
var forbidden = []request{
	{verb: "get", resource: "secrets", namespace: ns, name: "token"},
	{verb: "list", resource: "secrets", namespace: "kube-system"},
	{verb: "get", resource: "configmaps", namespace: ns, name: "app"},
	{verb: "patch", resource: "pods", namespace: ns, name: "web-0"},
	{verb: "update", resource: "pods/ephemeralcontainers", namespace: ns, name: "web-0"},
	{verb: "create", resource: "pods", namespace: "kube-system"},
	{verb: "create", resource: "pods/exec", namespace: "kube-system", name: "coredns-0"},
	{verb: "get", resource: "services", namespace: "kube-system", name: "metrics-server"},
	{verb: "get", resource: "pods/ephemeralcontainers", namespace: ns, name: "web-0"},
	{verb: "create", group: "apps", resource: "deployments", namespace: ns},
	{verb: "list", group: "apps", resource: "deployments", namespace: ns},
	{verb: "list", resource: "nodes"},
	{verb: "patch", resource: "nodes", name: "node-1"},
	{verb: "create", group: "apps", resource: "daemonsets", namespace: ns},
	{verb: "escalate", group: "rbac.authorization.k8s.io", resource: "roles", namespace: ns},
}

func TestEveryModeCallIsAllowed(t *testing.T) {
	objs := load(t)
	for mode, m := range modes {
		grants := objs.grants(t, m.roles)
		for _, q := range m.requests {
			if !allowed(grants, q) {
				t.Errorf("%s: %v is not allowed", mode, q)
			}
		}
	}
}

func TestNothingIsGrantedBeyondTheCalls(t *testing.T) {
	objs := load(t)
	for mode, m := range modes {
		for _, g := range objs.grants(t, m.roles) {
			for _, q := range g.expand() {
				if !slices.ContainsFunc(m.requests, func(r request) bool { return sameGrant(q, r) }) {
					t.Errorf("%s: role %s grants %v, which no call of the mode needs", mode, g.role, q)
				}
			}
		}
	}
}

func TestForbiddenCallsStayForbidden(t *testing.T) {
	objs := load(t)
	var all []string
	for _, m := range modes {
		all = append(all, m.roles...)
	}
	grants := objs.grants(t, all)
	for _, q := range forbidden {
		if allowed(grants, q) {
			t.Errorf("%v is allowed; no mode needs it", q)
		}
	}
}

func TestBindingsNameExistingRolesAndTheGroup(t *testing.T) {
	objs := load(t)
	for _, b := range objs.bindings {
		if !objs.hasRole(b.roleRef, b.namespace) {
			t.Errorf("binding %s/%s refers to %s %q, which rbac.yaml does not define in that scope", b.namespace, b.name, b.roleRef.Kind, b.roleRef.Name)
		}
		want := rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: subject}
		if !slices.Equal(b.subjects, []rbacv1.Subject{want}) {
			t.Errorf("binding %s/%s binds %+v, want only the group %q", b.namespace, b.name, b.subjects, subject)
		}
	}
	for _, r := range objs.roles {
		if !objs.isBound(r) {
			t.Errorf("%s %s/%s is never bound", r.kind, r.namespace, r.name)
		}
	}
}

// The manifest is for people to read and trim: each rule says which call needs it.
func TestEveryRuleSaysWhy(t *testing.T) {
	raw, err := os.ReadFile(rbacFile)
	if err != nil {
		t.Fatal(err)
	}
	dec := yamlv3.NewDecoder(bytes.NewReader(raw))
	rules := 0
	for {
		var doc yamlv3.Node
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("parse %s: %v", rbacFile, err)
		}
		list := mappingValue(doc.Content[0], "rules")
		if list == nil {
			continue
		}
		for i, rule := range list.Content {
			rules++
			if rule.HeadComment == "" {
				t.Errorf("%s rule %d of %s has no comment saying why it is needed", kindAndName(doc.Content[0]), i, rbacFile)
			}
		}
	}
	if rules == 0 {
		t.Fatalf("no rules found in %s", rbacFile)
	}
}

// grant is one PolicyRule with the scope it applies in ("" = cluster-wide).
type grant struct {
	role      string
	namespace string
	rule      rbacv1.PolicyRule
}

// allowed mirrors the RBAC authorizer: some rule must match verb, API group,
// resource (with subresource) and, when the rule names objects, the object.
func allowed(grants []grant, q request) bool {
	return slices.ContainsFunc(grants, func(g grant) bool {
		if g.namespace != "" && g.namespace != q.namespace {
			return false
		}
		r := g.rule
		if len(r.ResourceNames) > 0 && !slices.Contains(r.ResourceNames, q.name) {
			return false
		}
		return matches(r.Verbs, q.verb) && matches(r.APIGroups, q.group) && matches(r.Resources, q.resource)
	})
}

func matches(list []string, v string) bool {
	return slices.Contains(list, v) || slices.Contains(list, rbacv1.ResourceAll)
}

// expand lists every (verb, group, resource, name) a rule grants, so each can be
// traced to a call. A wildcard expands to itself and so never matches a call.
func (g grant) expand() []request {
	names := g.rule.ResourceNames
	if len(names) == 0 {
		names = []string{""}
	}
	var out []request
	for _, v := range g.rule.Verbs {
		for _, gr := range g.rule.APIGroups {
			for _, res := range g.rule.Resources {
				for _, n := range names {
					out = append(out, request{verb: v, group: gr, resource: res, namespace: g.namespace, name: n})
				}
			}
		}
	}
	return out
}

// sameGrant reports whether call r is what granted q is for; an unnamed grant
// covers calls on any object.
func sameGrant(q, r request) bool {
	return q.verb == r.verb && q.group == r.group && q.resource == r.resource &&
		q.namespace == r.namespace && (q.name == "" || q.name == r.name)
}

type role struct {
	kind, name, namespace string
	rules                 []rbacv1.PolicyRule
}

type binding struct {
	name, namespace string
	roleRef         rbacv1.RoleRef
	subjects        []rbacv1.Subject
}

type objects struct {
	roles    []role
	bindings []binding
}

// grants gathers the rules of the named roles that are bound to the group,
// each in the scope its binding gives it.
func (o objects) grants(t *testing.T, names []string) []grant {
	t.Helper()
	var out []grant
	for _, r := range o.roles {
		if !slices.Contains(names, r.name) || !o.isBound(r) {
			continue
		}
		for _, rule := range r.rules {
			out = append(out, grant{role: r.name, namespace: r.namespace, rule: rule})
		}
	}
	if len(out) == 0 {
		t.Fatalf("no bound rules for roles %v", names)
	}
	return out
}

func (o objects) isBound(r role) bool {
	return slices.ContainsFunc(o.bindings, func(b binding) bool {
		return b.roleRef.Kind == r.kind && b.roleRef.Name == r.name && b.namespace == r.namespace
	})
}

func (o objects) hasRole(ref rbacv1.RoleRef, namespace string) bool {
	return ref.APIGroup == rbacv1.GroupName && slices.ContainsFunc(o.roles, func(r role) bool {
		return r.kind == ref.Kind && r.name == ref.Name && r.namespace == namespace
	})
}

// load decodes rbac.yaml strictly: an unknown or misspelt field fails the test
// instead of being dropped, as the API server would drop it.
func load(t *testing.T) objects {
	t.Helper()
	f, err := os.Open(rbacFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out objects
	rd := utilyaml.NewYAMLReader(bufio.NewReader(f))
	for {
		doc, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("read %s: %v", rbacFile, err)
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			t.Fatalf("decode type of a %s document: %v", rbacFile, err)
		}
		if tm.APIVersion != rbacv1.SchemeGroupVersion.String() {
			t.Fatalf("%s: apiVersion %q, want %q", tm.Kind, tm.APIVersion, rbacv1.SchemeGroupVersion)
		}
		out.add(t, tm.Kind, doc)
	}
	return out
}

func (o *objects) add(t *testing.T, kind string, doc []byte) {
	t.Helper()
	strict := func(into any) {
		if err := yaml.UnmarshalStrict(doc, into); err != nil {
			t.Fatalf("decode %s strictly: %v", kind, err)
		}
	}
	switch kind {
	case "Role":
		var r rbacv1.Role
		strict(&r)
		if r.Namespace == "" {
			t.Fatalf("Role %s has no namespace", r.Name)
		}
		o.roles = append(o.roles, role{kind: kind, name: r.Name, namespace: r.Namespace, rules: r.Rules})
	case "ClusterRole":
		var r rbacv1.ClusterRole
		strict(&r)
		o.roles = append(o.roles, role{kind: kind, name: r.Name, rules: r.Rules})
	case "RoleBinding":
		var b rbacv1.RoleBinding
		strict(&b)
		o.bindings = append(o.bindings, binding{name: b.Name, namespace: b.Namespace, roleRef: b.RoleRef, subjects: b.Subjects})
	case "ClusterRoleBinding":
		var b rbacv1.ClusterRoleBinding
		strict(&b)
		o.bindings = append(o.bindings, binding{name: b.Name, roleRef: b.RoleRef, subjects: b.Subjects})
	default:
		t.Fatalf("%s holds a %s; only RBAC objects belong there", rbacFile, kind)
	}
}

// stripComments drops comment-only lines, to tell an empty document (a file
// header before the first ---) from a real one.
func stripComments(doc []byte) []byte {
	var out []byte
	for line := range bytes.Lines(doc) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			out = append(out, line...)
		}
	}
	return out
}

func mappingValue(n *yamlv3.Node, key string) *yamlv3.Node {
	if n.Kind != yamlv3.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func kindAndName(n *yamlv3.Node) string {
	kind := mappingValue(n, "kind")
	meta := mappingValue(n, "metadata")
	if kind == nil || meta == nil || mappingValue(meta, "name") == nil {
		return "?"
	}
	return kind.Value + " " + mappingValue(meta, "name").Value
}
