// Command stsd runs a local STS (package ststest) on 127.0.0.1 for
// bench/run.sh: it writes the server's URL to a file, serves until it is
// sent SIGTERM or SIGINT, and then writes how many calls of each action it
// answered.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/sessioncache/sessioncache/ststest"
)

func main() {
	urlFile := flag.String("url-file", "", "write the server's URL to this `file`")
	statsFile := flag.String("stats-file", "", "on exit, write the call counts to this `file`")
	mfa := flag.Bool("mfa", false, "require MFA for AssumeRole, as a trust policy can")
	code := flag.String("code", "", "the only MFA `code` accepted (default: any six digits)")
	flag.Parse()
	if *urlFile == "" || *statsFile == "" {
		log.Fatal("stsd: -url-file and -stats-file are required")
	}

	srv := ststest.NewServer(func(o *ststest.Options) {
		o.RequireMFA = *mfa
		o.MFACode = *code
	})
	defer srv.Close()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	// Written to a temporary name first, so a reader never sees half a URL.
	if err := os.WriteFile(*urlFile+".tmp", []byte(srv.URL+"\n"), 0o600); err != nil {
		log.Fatal(err)
	}
	if err := os.Rename(*urlFile+".tmp", *urlFile); err != nil {
		log.Fatal(err)
	}
	<-stop

	var stats string
	for _, action := range []string{"AssumeRole", "GetSessionToken", "GetCallerIdentity", "AssumeRoleWithWebIdentity"} {
		stats += fmt.Sprintf("%s %d\n", action, srv.Calls(action))
	}
	if err := os.WriteFile(*statsFile, []byte(stats), 0o600); err != nil {
		log.Fatal(err)
	}
}
