//go:build tools

// Package tools pins kwok, which tools/control-plane.mjs builds.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
