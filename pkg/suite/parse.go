// Package suite runs `kubectl netcheck -f checks.yaml`: it parses a CheckSuite
// file strictly, runs each check through a Runner (the engine, injected by
// pkg/plugin), judges every target of every check against the check's
// expectation (reachable or blocked), and combines the outcomes into one exit
// code. Parsing and judging are pure; only the Runner touches a cluster.
package suite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"
	"github.com/kubectl-netcheck/kubectl-netcheck/pkg/plugin/target"
)

// MaxCount bounds count as --count does.
const MaxCount = 1000

// Suite is a parsed, validated suite file.
type Suite struct {
	Name   string
	Checks []Check
}

// Check is one suite check with its SOURCE and targets parsed.
type Check struct {
	// SuiteCheck is the check as written, with Expect defaulted.
	v1alpha1.SuiteCheck
	Source  target.Source
	Targets []target.Spec
}

// Parse reads a suite file: one YAML document of kind CheckSuite. Unknown
// fields, duplicate keys, a second document and invalid values are errors that
// name the file and the line. file names the input in errors ("checks.yaml", "stdin").
func Parse(r io.Reader, file string) (*Suite, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read suite %s: %w", file, err)
	}
	var doc v1alpha1.CheckSuite
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("suite %s is empty: want apiVersion %s, kind %s and checks", file, v1alpha1.APIVersion, v1alpha1.KindCheckSuite)
		}
		return nil, fmt.Errorf("suite %s: %s", file, yamlError(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("suite %s: holds more than one YAML document: put every check in one CheckSuite", file)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("suite %s: %s", file, yamlError(err))
	}
	s, err := validate(doc, newLines(&root))
	if err != nil {
		return nil, fmt.Errorf("suite %s: %w", file, err)
	}
	return s, nil
}

func validate(doc v1alpha1.CheckSuite, at lines) (*Suite, error) {
	switch {
	case doc.APIVersion != v1alpha1.APIVersion:
		return nil, fmt.Errorf("%sapiVersion %q: want %s", at.top("apiVersion"), doc.APIVersion, v1alpha1.APIVersion)
	case doc.Kind != v1alpha1.KindCheckSuite:
		return nil, fmt.Errorf("%skind %q: want %s", at.top("kind"), doc.Kind, v1alpha1.KindCheckSuite)
	case len(doc.Checks) == 0:
		return nil, fmt.Errorf("%sno checks: list at least one under checks:", at.top("checks"))
	}
	s := &Suite{Name: doc.Metadata.Name}
	names := map[string]int{}
	for i, sc := range doc.Checks {
		c, err := validateCheck(sc)
		if err != nil {
			field := ""
			var fe *fieldError
			if errors.As(err, &fe) {
				field = fe.field
			}
			return nil, fmt.Errorf("%scheck %d%s: %w", at.check(i, field), i+1, quoted(sc.Name), err)
		}
		if first, dup := names[c.Name]; dup {
			return nil, fmt.Errorf("%scheck %d: name %q is already used by check %d: names must be unique", at.check(i, "name"), i+1, c.Name, first+1)
		}
		names[c.Name] = i
		s.Checks = append(s.Checks, c)
	}
	return s, nil
}

// fieldError is a check's invalid field, so the error can point at its line.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.err.Error() }
func (e *fieldError) Unwrap() error { return e.err }

func fieldErr(field, format string, args ...any) error {
	return &fieldError{field: field, err: fmt.Errorf(format, args...)}
}

func validateCheck(sc v1alpha1.SuiteCheck) (Check, error) {
	c := Check{SuiteCheck: sc}
	if strings.TrimSpace(sc.Name) == "" {
		return Check{}, fieldErr("name", "no name: every check needs a unique name")
	}
	if sc.Source == "" {
		return Check{}, fieldErr("source", "no source: name the pod to check from (NAME, pod/NAME, deploy/NAME)")
	}
	src, err := target.ParseSource(sc.Source)
	if err != nil {
		return Check{}, fieldErr("source", "%w", err)
	}
	if sc.Namespace != "" {
		if errs := validation.IsDNS1123Label(sc.Namespace); len(errs) > 0 {
			return Check{}, fieldErr("namespace", "namespace %q: %s", sc.Namespace, errs[0])
		}
		if src.Namespace != "" && src.Namespace != sc.Namespace {
			return Check{}, fieldErr("source", "source %q is in namespace %s but the check says namespace %s: keep one", sc.Source, src.Namespace, sc.Namespace)
		}
	}
	c.Source = src
	if len(sc.Targets) == 0 {
		return Check{}, fieldErr("targets", "no targets: list at least one (%s)", target.Usage)
	}
	switch sc.Expect {
	case "":
		c.Expect = v1alpha1.ExpectReachable
	case v1alpha1.ExpectReachable, v1alpha1.ExpectBlocked:
	default:
		return Check{}, fieldErr("expect", "expect %q: want %s or %s", sc.Expect, v1alpha1.ExpectReachable, v1alpha1.ExpectBlocked)
	}
	for _, raw := range sc.Targets {
		spec, err := target.Parse(raw)
		if err != nil {
			return Check{}, fieldErr("targets", "%w", err)
		}
		if c.Expect == v1alpha1.ExpectBlocked {
			if err := blockable(spec); err != nil {
				return Check{}, fieldErr("targets", "%w", err)
			}
		}
		c.Targets = append(c.Targets, spec)
	}
	if sc.Count < 0 || sc.Count > MaxCount {
		return Check{}, fieldErr("count", "count %d: want 1 to %d (or leave it out for the default)", sc.Count, MaxCount)
	}
	return c, nil
}

// blockable rejects targets that have no TCP connect to judge: "blocked" is
// decided by TCP connects alone, never by DNS or ICMP.
func blockable(spec target.Spec) error {
	switch {
	case spec.Kind == target.KindDNS:
		return fmt.Errorf("target %q only resolves a name: expect blocked judges TCP connects, so name an address with a port", spec.Raw)
	case spec.Kind == target.KindIP && spec.Port == "":
		return fmt.Errorf("target %q has no port: expect blocked judges TCP connects, so write %s:PORT", spec.Raw, spec.Raw)
	}
	return nil
}

func quoted(name string) string {
	if name == "" {
		return ""
	}
	return " (" + strconv.Quote(name) + ")"
}

// lines finds the line of a top-level key or of a check's field in the parsed
// document, so validation errors point where to edit.
type lines struct {
	topKeys map[string]int
	checks  []map[string]int // per check: field -> line, "" -> the item's line
}

func newLines(root *yaml.Node) lines {
	l := lines{topKeys: map[string]int{}}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return l
	}
	top := root.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		key, val := top.Content[i], top.Content[i+1]
		l.topKeys[key.Value] = key.Line
		if key.Value != "checks" || val.Kind != yaml.SequenceNode {
			continue
		}
		for _, item := range val.Content {
			fields := map[string]int{"": item.Line}
			for j := 0; item.Kind == yaml.MappingNode && j+1 < len(item.Content); j += 2 {
				fields[item.Content[j].Value] = item.Content[j].Line
			}
			l.checks = append(l.checks, fields)
		}
	}
	return l
}

func (l lines) top(key string) string {
	if n, ok := l.topKeys[key]; ok {
		return fmt.Sprintf("line %d: ", n)
	}
	return ""
}

func (l lines) check(i int, field string) string {
	if i >= len(l.checks) {
		return ""
	}
	if n, ok := l.checks[i][field]; ok {
		return fmt.Sprintf("line %d: ", n)
	}
	return fmt.Sprintf("line %d: ", l.checks[i][""])
}

var unknownField = regexp.MustCompile(`^line (\d+): field (\S+) not found in type v1alpha1\.(\w+)$`)

// yamlError turns yaml.v3's errors into one line, naming the allowed fields
// when a field is unknown (a typo is the usual cause).
func yamlError(err error) string {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return strings.TrimPrefix(err.Error(), "yaml: ")
	}
	msgs := make([]string, 0, len(te.Errors))
	for _, e := range te.Errors {
		if m := unknownField.FindStringSubmatch(e); m != nil {
			where, allowed := describeType(m[3])
			e = fmt.Sprintf("line %s: unknown field %q in %s (allowed: %s)", m[1], m[2], where, allowed)
		}
		msgs = append(msgs, e)
	}
	return strings.Join(msgs, "; ")
}

func describeType(name string) (where, allowed string) {
	types := map[string]struct {
		where string
		t     reflect.Type
	}{
		"CheckSuite": {"the suite", reflect.TypeFor[v1alpha1.CheckSuite]()},
		"SuiteCheck": {"a check", reflect.TypeFor[v1alpha1.SuiteCheck]()},
		"SuiteMeta":  {"metadata", reflect.TypeFor[v1alpha1.SuiteMeta]()},
	}
	d, ok := types[name]
	if !ok {
		return name, "see the README"
	}
	var fields []string
	for i := range d.t.NumField() {
		tag, _, _ := strings.Cut(d.t.Field(i).Tag.Get("yaml"), ",")
		fields = append(fields, tag)
	}
	return d.where, strings.Join(fields, ", ")
}
