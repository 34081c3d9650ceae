//go:build tools

// Package tools pins go-swagger, the generator KFP uses for its v2beta1 Go HTTP client (backend/api/hack/generator.sh).
package tools

import _ "github.com/go-swagger/go-swagger/cmd/swagger"
