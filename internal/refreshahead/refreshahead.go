// Package refreshahead carries, in a context, how far ahead of the usual
// window a credential provider should refresh. It is its own package so
// that the credential server can ask for it without depending on the
// providers, and through them on STS, SSO and their clients.
package refreshahead

import (
	"context"
	"time"
)

type key struct{}

// With returns a context that asks providers to treat credentials that
// expire within their window plus d as due.
func With(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, key{}, d)
}

// From returns the d of With, or 0.
func From(ctx context.Context) time.Duration {
	d, _ := ctx.Value(key{}).(time.Duration)
	return max(d, 0)
}
