#!/usr/bin/env bash
# Runs every check: formatting, vet (Linux, macOS, Windows), builds for
# the eight targets, the credential server's dependencies, staticcheck,
# the tests with the race detector (interop tests included), and a bounded
# fuzz run of the cache entry decoder.
set -euo pipefail
cd "$(dirname "$0")/.."

export GOFLAGS="${GOFLAGS:--buildvcs=false}"
# The interop tests run the AWS CLI, boto3 and moto from pyenv when present.
[ -d "$HOME/.pyenv/shims" ] && export PATH="$HOME/.pyenv/shims:$PATH"

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...
GOOS=darwin go vet ./...
GOOS=windows go vet ./...

echo "== cross-compile"
# Every target the command ships for builds without cgo.
for target in linux/amd64 darwin/arm64 windows/amd64 freebsd/amd64 openbsd/amd64 netbsd/amd64 solaris/amd64 illumos/amd64; do
  CGO_ENABLED=0 GOOS="${target%/*}" GOARCH="${target#*/}" go build ./... || { echo "build for $target failed"; exit 1; }
done
# The tests too must compile where vet above did not look.
for os in freebsd openbsd netbsd solaris illumos; do
  GOOS=$os go vet ./... || { echo "vet for $os failed"; exit 1; }
done

echo "== dependencies"
# The credential server needs the SDK's core types only.
if go list -deps ./credserver | grep -q '/service/'; then
  echo "credserver depends on an AWS service client:"; go list -deps ./credserver | grep '/service/'; exit 1
fi
if grep -q gofrs/flock go.mod; then echo "go.mod lists gofrs/flock: lock through internal/lockfile"; exit 1; fi

echo "== staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

echo "== peers"
for peer in aws moto_server python3 kubectl; do
  if command -v "$peer" >/dev/null; then echo "$peer: $(command -v "$peer")"; else echo "$peer: missing (interop tests will skip)"; fi
done

echo "== go test -race"
go test -race -count=1 ./...

echo "== fuzz"
go test -run='^$' -fuzz=FuzzDecodeEntry -fuzztime=20s .
