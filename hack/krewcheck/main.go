// Command krewcheck renders the krew manifest template (krew/netcheck.yaml)
// against a goreleaser dist/ and validates the result the way krew and the
// krew-index review would, offline: krew itself cannot be installed here.
//
//	go run ./hack/krewcheck render -template krew/netcheck.yaml -dist dist -o dist/krew/netcheck.yaml
//	go run ./hack/krewcheck check -dist dist -manifest dist/krew/netcheck.yaml
//
// `make release-snapshot` runs both; `make test-release` also runs the tests
// of this package against the same dist/.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "krewcheck:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: krewcheck render|check [flags]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	distDir := fs.String("dist", "dist", "goreleaser dist folder")
	switch args[0] {
	case "render":
		tmpl := fs.String("template", "krew/netcheck.yaml", "krew-release-bot template")
		out := fs.String("o", "dist/krew/netcheck.yaml", "where to write the manifest")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return renderCmd(*tmpl, *distDir, *out)
	case "check":
		manifest := fs.String("manifest", "dist/krew/netcheck.yaml", "rendered krew manifest")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return checkCmd(*manifest, *distDir)
	}
	return fmt.Errorf("unknown command %q: want render or check", args[0])
}

func renderCmd(tmpl, distDir, out string) error {
	d, err := loadDist(distDir)
	if err != nil {
		return err
	}
	manifest, err := render(tmpl, d.tag(), distDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("create manifest folder: %w", err)
	}
	if err := os.WriteFile(out, manifest, 0o644); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	fmt.Println(out)
	return nil
}

func checkCmd(manifest, distDir string) error {
	d, err := loadDist(distDir)
	if err != nil {
		return err
	}
	if err := checkManifest(manifest, d); err != nil {
		return err
	}
	if err := checkRelease(d); err != nil {
		return err
	}
	fmt.Printf("%s: valid krew manifest for %s, every platform installs from dist\n", manifest, d.tag())
	return nil
}
