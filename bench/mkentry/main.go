// Command mkentry writes a valid cache entry for a role, as the AWS CLI
// would have after an MFA prompt, so that benchmarks measure cache hits.
//
// Usage: mkentry CACHEDIR ROLE_ARN MFA_SERIAL
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/sessioncache/sessioncache"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: mkentry CACHEDIR ROLE_ARN MFA_SERIAL")
		os.Exit(2)
	}
	key := sessioncache.AssumeRoleKey(sessioncache.AssumeRoleKeyInput{RoleARN: os.Args[2], SerialNumber: os.Args[3]})
	e := &sessioncache.Entry{Credentials: sessioncache.EntryCredentials{
		AccessKeyID:     "ASIABENCHEXAMPLE0001",
		SecretAccessKey: "bench-secret-not-real",
		SessionToken:    "bench-token-not-real",
		Expiration:      time.Now().Add(12 * time.Hour),
	}}
	if err := sessioncache.NewFileCache(os.Args[1]).Set(key, e); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
