// Command localsts runs the project's local STS (package ststest) until it
// is interrupted, with a throwaway config whose profile "admin" assumes a
// role with MFA, so that sessioncache can be tried without an AWS account.
// It prints the variables that point sessioncache, the AWS SDKs and the AWS
// CLI at them; ~/.aws is neither read nor written.
//
//	go run ./examples/localsts
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/sessioncache/sessioncache/ststest"
)

const (
	config = `[profile admin]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = base
mfa_serial = arn:aws:iam::123456789012:mfa/alice
region = us-east-1
`
	// Keys that only the local STS knows: it takes any signature.
	credentials = `[base]
aws_access_key_id = AKIAEXAMPLELOCAL0001
aws_secret_access_key = local-secret-not-real
`
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "localsts:", err)
		os.Exit(1)
	}
}

func run() error {
	dir, err := os.MkdirTemp("", "localsts-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	files := map[string]string{"config": config, "credentials": credentials}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			return err
		}
	}
	sts := ststest.NewServer(func(o *ststest.Options) { o.RequireMFA = true })
	defer sts.Close()

	fmt.Printf("export AWS_CONFIG_FILE=%s AWS_SHARED_CREDENTIALS_FILE=%s SESSIONCACHE_DIR=%s AWS_ENDPOINT_URL_STS=%s\n",
		filepath.Join(dir, "config"), filepath.Join(dir, "credentials"), filepath.Join(dir, "cache"), sts.URL)
	fmt.Fprintf(os.Stderr, "localsts: STS on %s, profile admin (its MFA code: any six digits); paste the line above into another shell. Ctrl-C stops it and removes %s.\n", sts.URL, dir)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	fmt.Fprintln(os.Stderr, "localsts: "+served(sts.Calls("AssumeRole")))
	return nil
}

// served says how many AssumeRole calls were served, the noun agreeing
// with the count.
func served(n int) string {
	if n == 1 {
		return "1 AssumeRole call served"
	}
	return fmt.Sprintf("%d AssumeRole calls served", n)
}
