//go:build tools

// Package tools pins the registry binary tools/registry.mjs builds.
package tools

import (
	_ "github.com/distribution/distribution/v3/cmd/registry"
)
