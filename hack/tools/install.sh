#!/usr/bin/env bash
# Installs a pinned tool into hack/tools/bin once and prints its path, so make
# targets run `$(hack/tools/install.sh goreleaser) check` and never rebuild it.
#
# The file name carries the version: bumping a pin installs the new one, and an
# old binary never answers for a new pin.
set -euo pipefail

tool=${1:?usage: hack/tools/install.sh TOOL}
case "$tool" in
goreleaser)
	# v2.18+ needs go >= 1.27. v2.17.x pulls nfpm v2.47, whose msix packager
	# imports go.digitalxero.dev/go-msix, a module the module proxy refuses
	# (403). v2.16.0 (nfpm v2.46.3) is the newest that builds here.
	module=github.com/goreleaser/goreleaser/v2
	version=v2.16.0
	;;
*)
	echo "hack/tools/install.sh: unknown tool $tool" >&2
	exit 2
	;;
esac

bin_dir=$(cd "$(dirname "$0")" && pwd)/bin
bin=$bin_dir/$tool-$version
if [[ ! -x $bin ]]; then
	mkdir -p "$bin_dir"
	# A private GOBIN, moved into place at the end: an interrupted install
	# leaves no half-written pinned file behind.
	tmp=$(mktemp -d "$bin_dir/.install.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	echo "installing $module@$version into $bin_dir" >&2
	GOBIN=$tmp GOTOOLCHAIN=local GOFLAGS=-buildvcs=false go install "$module@$version" >&2
	mv "$tmp/$tool" "$bin"
fi
echo "$bin"
