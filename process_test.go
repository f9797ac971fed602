//go:build unix

package sessioncache

import (
	"context"

	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sessioncache/sessioncache/ststest"
)

// The secrets a credential_process prints in these tests; no error or log
// line may hold them.
const (
	procSecret = "procSECRETnotREAL0123456789"
	procToken  = "procTOKENnotREAL9876543210"
)

// procOutput is well-formed credential_process output with expiration exp.
func procOutput(exp string) string {
	return `{"Version": 1, "AccessKeyId": "AKIAEXAMPLEPROC00001", "SecretAccessKey": "` + procSecret +
		`", "SessionToken": "` + procToken + `", "Expiration": "` + exp + `"}`
}

func TestCredentialProcessOutputIsNeverShown(t *testing.T) {
	later := time.Now().Add(time.Hour).UTC()
	tests := map[string]struct {
		output string
		exit   int
		// role assumes a role with the process's credentials, which STS
		// refuses.
		role bool
		// wantErr is part of the error; "" means the output is accepted.
		wantErr string
	}{
		"not JSON":                 {output: procOutput("x")[:70], wantErr: "not valid JSON"},
		"Version 2":                {output: strings.Replace(procOutput("x"), `"Version": 1`, `"Version": 2`, 1), wantErr: `"Version" is not 1`},
		"no AccessKeyId":           {output: strings.Replace(procOutput("x"), "AccessKeyId", "KeyId", 1), wantErr: `no "AccessKeyId"`},
		"field names in lowercase": {output: strings.ToLower(procOutput(later.Format(time.RFC3339))), wantErr: `"Version" is not 1`},
		"Expiration not a time":    {output: procOutput("in an hour"), wantErr: `"Expiration" is not a date and time`},
		"exit status 1":            {output: procOutput(later.Format(time.RFC3339)), exit: 1, wantErr: "credential_process failed: exit status 1"},
		"STS refuses the role":     {output: procOutput(later.Format(time.RFC3339)), role: true, wantErr: "AccessDenied"},
		// botocore reads these; so must this package.
		"Expiration with UTC":      {output: procOutput(later.Format("2006-01-02T15:04:05") + "UTC")},
		"Expiration with fraction": {output: procOutput(later.Format("2006-01-02T15:04:05.000000Z"))},
		"Expiration with offset":   {output: procOutput(later.In(time.FixedZone("", 2*3600)).Format("2006-01-02T15:04:05-07:00"))},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, func(o *ststest.Options) { o.RequireMFA = false })
			if tt.role {
				w.sts.FailNext(2, "AccessDenied", "not authorized to perform sts:AssumeRole", 403)
			}
			outFile := filepath.Join(w.dir, "out.json")
			writeFile(t, outFile, tt.output)
			script := filepath.Join(w.dir, "creds.sh")
			writeFile(t, script, "#!/bin/sh\ncat "+outFile+"\nexit "+strconv.Itoa(tt.exit)+"\n")
			if err := os.Chmod(script, 0o700); err != nil {
				t.Fatal(err)
			}
			profile := "[profile proc]\ncredential_process = " + script + "\n"
			if tt.role {
				profile += "role_arn = arn:aws:iam::123456789012:role/admin\n"
			}
			writeFile(t, filepath.Join(w.dir, "config"), profile)

			logger, logs := newLogger()
			l := w.loader("123456")
			l.Logger = logger
			var errs []string
			cfg, err := l.LoadDefaultConfig(context.Background(), w.options("proc")...)
			if err == nil {
				_, err = cfg.Credentials.Retrieve(context.Background())
			}
			if err != nil {
				errs = append(errs, err.Error())
			}
			c, err := l.Credentials(context.Background(), w.options("proc")...)
			if err != nil {
				errs = append(errs, err.Error())
			} else if !tt.role && (c.SecretAccessKey != procSecret || !c.CanExpire || c.Expires.Unix() != later.Unix()) {
				t.Errorf("got expiry %v (can expire %v), want %v and the process's keys", c.Expires, c.CanExpire, later)
			}
			switch {
			case tt.wantErr == "" && len(errs) > 0:
				t.Errorf("errors %q, want the output accepted", errs)
			case tt.wantErr != "" && len(errs) != 2:
				t.Errorf("errors %q, want LoadDefaultConfig and Credentials to fail", errs)
			}
			for _, e := range errs {
				if tt.wantErr != "" && !strings.Contains(e, tt.wantErr) {
					t.Errorf("error %q does not say %q", e, tt.wantErr)
				}
			}
			for _, text := range append(errs, logs.String()) {
				for _, secret := range []string{procSecret, procToken} {
					if strings.Contains(text, secret) {
						t.Errorf("a secret of the process's output is in an error or a log line")
					}
				}
			}
		})
	}
}
