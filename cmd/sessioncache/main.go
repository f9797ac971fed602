// Command sessioncache serves AWS credentials from the AWS CLI's cache, so
// that Go programs, the AWS CLI and boto3 share one MFA-protected session.
//
// Install it with
//
//	go install github.com/sessioncache/sessioncache/cmd/sessioncache@latest
//
// and run 'sessioncache demo' to see it work without an AWS account, or
// 'sessioncache help' for its commands.
package main

import (
	"os"

	"github.com/sessioncache/sessioncache/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
