#!/usr/bin/env bash
# Fails when `go generate ./...` changes or adds generated files: CI checks the
# committed tables match the specs they come from.
set -euo pipefail
cd "$(dirname "$0")/.."
before=$(git status --porcelain --untracked-files=all -- '*_gen.go')
go generate ./...
after=$(git status --porcelain --untracked-files=all -- '*_gen.go')
if [ "$before" != "$after" ] || ! git diff --quiet -- '*_gen.go'; then
  echo "go generate ./... changed generated files; run 'make generate' and commit:" >&2
  git status --porcelain -- '*_gen.go' >&2
  git --no-pager diff --stat -- '*_gen.go' >&2
  exit 1
fi
echo "go generate: no drift"
