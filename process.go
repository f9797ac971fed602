package sessioncache

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
)

// processProvider runs a profile's credential_process, as the SDK does,
// and reads its output as botocore does. Unlike the SDK's provider, it
// never quotes the output in an error: the output holds the secret key.
type processProvider struct {
	command string
	profile string
	// accountID is the profile's aws_account_id, used when the output
	// has no AccountId, as botocore does.
	accountID string
	timeout   time.Duration
}

func newProcessProvider(sc *config.SharedConfig, lo *config.LoadOptions) *processProvider {
	o := processcreds.Options{Timeout: processcreds.DefaultTimeout}
	if lo != nil && lo.ProcessCredentialOptions != nil {
		lo.ProcessCredentialOptions(&o)
	}
	return &processProvider{command: sc.CredentialProcess, profile: sc.Profile, accountID: sc.Credentials.AccountID, timeout: o.Timeout}
}

// maxProcessOutput bounds what is kept of a process's output.
const maxProcessOutput = 1 << 20

// Retrieve runs the command and returns the credentials it prints.
func (p *processProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if p.timeout >= 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.timeout)
		defer cancel()
	}
	args := []string{"sh", "-c", p.command}
	if runtime.GOOS == "windows" {
		args = []string{"cmd.exe", "/C", p.command}
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = os.Environ()
	// The process may prompt, as for an MFA code, on the terminal.
	cmd.Stdin, cmd.Stderr = os.Stdin, os.Stderr
	var out limitedBuffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return aws.Credentials{}, fmt.Errorf("sessioncache: profile %s: credential_process did not finish within %v", p.profile, p.timeout)
		}
		return aws.Credentials{}, fmt.Errorf("sessioncache: profile %s: credential_process failed: %w", p.profile, err)
	}
	data := out.Bytes()
	if runtime.GOOS == "windows" {
		data = bytes.ReplaceAll(data, []byte(`\"`), []byte(`"`))
	}
	creds, err := decodeProcessOutput(data)
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("sessioncache: profile %s: the output of credential_process is not usable: %w (the output is not shown: it holds secrets)", p.profile, err)
	}
	if creds.AccountID == "" {
		creds.AccountID = p.accountID
	}
	return creds, nil
}

// decodeProcessOutput reads credential_process output as botocore does:
// a JSON object with Version 1, AccessKeyId and SecretAccessKey, and
// optionally SessionToken, Expiration (in any form botocore reads) and
// AccountId. Field names match exactly. Errors name fields, never values.
func decodeProcessOutput(data []byte) (aws.Credentials, error) {
	if len(data) > maxProcessOutput {
		return aws.Credentials{}, fmt.Errorf("larger than %d bytes", maxProcessOutput)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil || obj == nil {
		if err == nil {
			err = errors.New("null")
		}
		return aws.Credentials{}, errors.New(jsonProblem(err))
	}
	var version json.Number
	if v, ok := obj["Version"]; !ok || json.Unmarshal(v, &version) != nil || (version.String() != "1" && version.String() != "1.0") {
		return aws.Credentials{}, errors.New(`its "Version" is not 1`)
	}
	str := func(name string, required bool) (string, error) {
		raw, ok := obj[name]
		if !ok || string(raw) == "null" {
			if required {
				return "", fmt.Errorf("it has no %q", name)
			}
			return "", nil
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", fmt.Errorf("its %q is not a string", name)
		}
		if required && s == "" {
			return "", fmt.Errorf("its %q is empty", name)
		}
		return s, nil
	}
	var c aws.Credentials
	var err error
	if c.AccessKeyID, err = str("AccessKeyId", true); err != nil {
		return aws.Credentials{}, err
	}
	if c.SecretAccessKey, err = str("SecretAccessKey", true); err != nil {
		return aws.Credentials{}, err
	}
	if c.SessionToken, err = str("SessionToken", false); err != nil {
		return aws.Credentials{}, err
	}
	if c.AccountID, err = str("AccountId", false); err != nil {
		return aws.Credentials{}, err
	}
	exp, err := str("Expiration", false)
	if err != nil {
		return aws.Credentials{}, err
	}
	if exp != "" {
		t, err := ParseExpiration(exp)
		if err != nil {
			return aws.Credentials{}, errors.New(`its "Expiration" is not a date and time`)
		}
		c.CanExpire, c.Expires = true, t
	}
	c.Source = processcreds.ProviderName
	return c, nil
}

// limitedBuffer keeps the first maxProcessOutput+1 bytes written to it and
// drops the rest, so that a runaway process cannot exhaust memory.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxProcessOutput + 1 - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
