package report

import (
	"io"
	"os"

	"golang.org/x/term"
)

// terminalWidth is the column count of the terminal w writes to, 0 when w is
// not a terminal (a pipe, a file, a CI log), and lineWidth when a terminal
// does not say.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
		return cols
	}
	return lineWidth
}
