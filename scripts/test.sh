#!/usr/bin/env bash
# Runs every check: formatting, vet (Linux, macOS, Windows), staticcheck,
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
