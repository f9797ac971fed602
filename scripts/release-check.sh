#!/usr/bin/env bash
# Checks .goreleaser.yaml and makes a snapshot release into dist/: every
# platform's binary, the archives and checksums.txt, without publishing
# anything. It then checks that the checksums match, that each platform
# was built, and that the binary for this machine prints the stamped
# version.
#
# goreleaser runs with `go run` at a pinned version, from the Go module
# proxy: the first run compiles it, which takes minutes (see README);
# later runs use Go's build cache. Set GORELEASER to use an installed one.
set -euo pipefail
cd "$(dirname "$0")/.."

GORELEASER_VERSION=v2.15.1
if [[ -n ${GORELEASER:-} ]]; then
	goreleaser=("$GORELEASER")
else
	goreleaser=(go run "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION")
fi
echo "== goreleaser check"
"${goreleaser[@]}" check

echo "== goreleaser snapshot build"
"${goreleaser[@]}" release --snapshot --clean --skip=publish

echo "== what it made"
(cd dist && sha256sum --check --quiet checksums.txt)
for target in linux_amd64 linux_arm64 darwin_amd64 darwin_arm64 windows_amd64 windows_arm64; do
	ext=tar.gz
	[[ $target == windows_* ]] && ext=zip
	ls dist/sessioncache_*_"$target".$ext >/dev/null || { echo "no archive for $target"; exit 1; }
	grep -q "_$target.$ext\$" dist/checksums.txt || { echo "no checksum for $target"; exit 1; }
done
host="$(go env GOOS)_$(go env GOARCH)"
bin=$(find dist -path "*${host}*" -name sessioncache -type f | head -n 1)
if [[ -n $bin ]]; then
	out=$("$bin" version)
	echo "$out"
	grep -q '^sessioncache v[0-9].*-snapshot' <<<"$out" || { echo "the binary does not print the stamped version"; exit 1; }
	# Without a git remote, goreleaser's snapshot knows no commit and
	# stamps "none".
	grep -q '^commit \([0-9a-f]\{40\}\|none\)$' <<<"$out" || { echo "the binary does not print the stamped commit"; exit 1; }
fi
echo "release check: ok"
