package lab

import (
	"bytes"
	"fmt"
)

const rootModule = "github.com/kubectl-netcheck/kubectl-netcheck"

// isRootModule tells the project's go.mod from the nested ones (e2e/flanneld).
func isRootModule(gomod []byte) bool {
	first, _, _ := bytes.Cut(gomod, []byte("\n"))
	return string(bytes.TrimSpace(first)) == "module "+rootModule
}

func errNoRepo(from string) error {
	return fmt.Errorf("no %s checkout above %s: run from inside the repository", rootModule, from)
}
