package diagnose

import "github.com/kubectl-netcheck/kubectl-netcheck/pkg/api/v1alpha1"

// Entry is one root cause the tool can name.
type Entry struct {
	ID          string
	Title       string
	Severity    v1alpha1.Severity
	Description string
	Fix         string
}

// Catalogue lists every finding ID the tool can report.
func Catalogue() []Entry { return nil }

// Lookup finds a catalogue entry by ID.
func Lookup(id string) (Entry, bool) { return Entry{}, false }
