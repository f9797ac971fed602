package sessioncache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/sessioncache/sessioncache/internal/refreshahead"
	"github.com/sessioncache/sessioncache/internal/tty"
)

// DefaultExpiryWindow is how long before expiry an entry stops being used:
// botocore refreshes when fewer than 15 minutes remain, and an entry the
// AWS CLI would refresh must not be served here either.
const DefaultExpiryWindow = 15 * time.Minute

// timeNow is a variable so that tests can move the clock.
var timeNow = time.Now

// WithRefreshAhead returns a context under which a Provider treats
// credentials that expire within its expiry window plus d as due, and
// refreshes them through the cache. A caller behind the memory cache of
// LoadDefaultConfig, which reports the expiry one window early, thus gets
// credentials that it sees valid for d more. A program that hands
// credentials on to others, such as a credential server, uses it to
// refresh ahead of their own refresh; other providers ignore it.
func WithRefreshAhead(ctx context.Context, d time.Duration) context.Context {
	return refreshahead.With(ctx, d)
}

// Fetcher makes the credentials a Provider caches: one STS call (or SSO
// portal call) whose response becomes an Entry.
type Fetcher interface {
	// CacheKey returns the key of the entry, derived as botocore does.
	CacheKey() string
	// Fetch calls the service, prompting for MFA if it must.
	Fetch(ctx context.Context) (*Entry, error)
}

// ProviderOptions configure a Provider.
type ProviderOptions struct {
	// Cache is where entries are read and written. Default: nil, no file
	// cache; every Retrieve fetches.
	Cache *FileCache
	// ExpiryWindow is how long before expiry an entry is refreshed.
	// Default: DefaultExpiryWindow.
	ExpiryWindow time.Duration
	// Logger receives a warning when an entry cannot be written, and debug
	// lines about hits and misses. Default: discard.
	Logger *slog.Logger
	// Source names the provider in aws.Credentials.Source.
	// Default: "sessioncache".
	Source string
}

// Provider is an aws.CredentialsProvider that serves credentials from the
// AWS CLI's cache and fetches, caches and serves new ones when the cache
// has none that stay valid for the expiry window.
//
// Before it fetches, it takes the entry's lock and reads the cache again,
// so that of many processes that start together only one prompts for MFA
// and calls STS, and the others use what it wrote. It is safe for
// concurrent use. Wrap it in aws.NewCredentialsCache to keep credentials
// in memory between calls, as LoadDefaultConfig does.
type Provider struct {
	fetcher Fetcher
	opts    ProviderOptions
}

// NewProvider returns a Provider for the credentials f fetches.
func NewProvider(f Fetcher, optFns ...func(*ProviderOptions)) *Provider {
	p := &Provider{fetcher: f, opts: ProviderOptions{ExpiryWindow: DefaultExpiryWindow, Source: "sessioncache"}}
	for _, fn := range optFns {
		fn(&p.opts)
	}
	if p.opts.Logger == nil {
		p.opts.Logger = slog.New(slog.DiscardHandler)
	}
	return p
}

// Retrieve returns credentials that stay valid for at least the expiry
// window, from the cache when it can.
func (p *Provider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	key := p.fetcher.CacheKey()
	c := p.opts.Cache
	var fo fetchOptions
	if c != nil {
		if e := p.lookup(ctx, key, true); e != nil {
			return e.AWSCredentials(p.opts.Source), nil
		}
		l, err := c.lock(ctx, key, "fetching new credentials")
		var timeout *LockTimeoutError
		switch {
		case err == nil:
			defer l.Release()
			// Whoever held the lock may have written a fresh entry. The
			// miss was logged already.
			if e := p.lookup(ctx, key, false); e != nil {
				return e.AWSCredentials(p.opts.Source), nil
			}
			fo.note = l.Note
		case ctx.Err() != nil, errors.As(err, &timeout):
			return aws.Credentials{}, err
		default:
			// Fetching is safe without the lock; only a stampede is not
			// kept off.
			p.opts.Logger.Debug("fetching without the cache lock", "key", key, "error", err.Error())
		}
	}
	e, err := fetchWith(ctx, p.fetcher, fo)
	if err != nil {
		return aws.Credentials{}, err
	}
	if c != nil {
		if err := c.Set(key, e); err != nil {
			// The credentials are good; only the next process loses. An
			// untrusted directory was reported when it was read.
			if errors.Is(err, ErrUntrustedEntry) {
				p.opts.Logger.Debug("not writing the cache", "error", err.Error())
			} else {
				// Once per directory: a chain writes several entries.
				c.warnOnce("write "+c.dir, fmt.Sprintf("sessioncache: could not save the new credentials in the cache directory %s (%s), so the next run fetches them again: make it a directory you own and can write, or use another cache directory", c.dir, pathErrReason(err)))
			}
		} else {
			p.opts.Logger.Debug("cache entry written", "key", key, "expires", e.Credentials.Expiration)
		}
	}
	return e.AWSCredentials(p.opts.Source), nil
}

// lookup returns key's entry when it is usable for the expiry window (and
// any refresh ahead that ctx asks for). logMiss logs why it is not; a
// second look at the same key leaves it out, so that a cold fetch logs
// one miss.
func (p *Provider) lookup(ctx context.Context, key string, logMiss bool) *Entry {
	miss := p.opts.Logger.Debug
	if !logMiss {
		miss = func(string, ...any) {}
	}
	e, err := p.opts.Cache.Get(key)
	switch {
	case errors.Is(err, ErrNotCached):
		miss("cache miss", "key", key)
		return nil
	case err != nil:
		miss("cache miss", "key", key, "reason", err.Error())
		return nil
	case e.ExpiresWithin(timeNow(), p.opts.ExpiryWindow+refreshahead.From(ctx)):
		miss("cache entry expires soon", "key", key, "expires", e.Credentials.Expiration)
		return nil
	}
	p.opts.Logger.Debug("cache hit", "key", key, "expires", e.Credentials.Expiration)
	return e
}

// tellWaiting says on the terminal, or else in a warning, whom this
// process waits for.
func tellWaiting(logger *slog.Logger, h LockHolder) {
	msg := "waiting for " + h.String() + " to finish with the cached credentials"
	if !tty.Tell("sessioncache: " + msg) {
		logger.Warn(msg)
	}
}

// pathErrReason is the system's reason of a file error ("permission
// denied"), without the path that the message around it names already.
func pathErrReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return strings.TrimPrefix(err.Error(), "sessioncache: ")
}
