package peertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// RequireEnv names the environment variable that turns a missing peer from
// a skipped test into a failed one when it is set to "1".
const RequireEnv = "SESSIONCACHE_REQUIRE_PEERS"

// runTimeout bounds one peer run, so that a peer stuck on a prompt fails the
// test instead of hanging it until the go test deadline.
const runTimeout = 2 * time.Minute

// missing skips the test because a peer is not installed, or fails it when
// RequireEnv is set.
func missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s (%s=1 forbids skipping)", msg, RequireEnv)
	}
	t.Skip(msg)
}

// peer is an installed program, found and checked once per test binary.
type peer struct {
	path string
	err  error
}

var awsPeer = sync.OnceValue(func() peer {
	path, err := exec.LookPath("aws")
	if err != nil {
		return peer{err: errors.New("aws not found on PATH: install the AWS CLI to run the interop tests")}
	}
	// A pyenv shim can be on PATH for a Python version that lacks the CLI.
	if out, err := check(path, "--version"); err != nil {
		return peer{err: fmt.Errorf("aws --version failed (%v): %s", err, out)}
	}
	return peer{path: path}
})

var pythonPeer = sync.OnceValue(func() peer {
	path, err := exec.LookPath("python3")
	if err != nil {
		return peer{err: errors.New("python3 not found on PATH: install Python 3 and boto3 to run the interop tests")}
	}
	if out, err := check(path, "-c", "import boto3"); err != nil {
		return peer{err: fmt.Errorf("python3 cannot import boto3 (%v): %s: install boto3 to run the interop tests", err, out)}
	}
	return peer{path: path}
})

// check runs a peer once to see that it works.
func check(path string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = baseEnv()
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// AWS runs the AWS CLI with args in env (see [Home.Env]), feeding it stdin,
// and returns what it wrote. stdin answers the MFA prompt: with no terminal
// the CLI reads the code from stdin, so "123456\n" will do. err is the
// *exec.ExitError of a failed run; stderr says why. AWS skips the test when
// the CLI is not installed (see [RequireEnv]).
func AWS(t testing.TB, env []string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	p := awsPeer()
	if p.err != nil {
		missing(t, p.err.Error())
	}
	return run(t, env, stdin, p.path, args...)
}

// Python runs python3 -c script in env (see [Home.Env]), feeding it stdin,
// for checks through boto3 and botocore. It skips the test when python3 or
// boto3 is not installed (see [RequireEnv]).
func Python(t testing.TB, env []string, script string, stdin string) (stdout, stderr string, err error) {
	t.Helper()
	p := pythonPeer()
	if p.err != nil {
		missing(t, p.err.Error())
	}
	return run(t, env, stdin, p.path, "-c", script)
}

// run runs a program to completion in its own process group and kills what
// is left of the group when it returns.
func run(t testing.TB, env []string, stdin string, path string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = env
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	setGroup(cmd)
	cmd.Cancel = func() error { return killGroup(cmd.Process) }
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Start()
	if err != nil {
		return "", "", fmt.Errorf("peertest: start %s: %w", path, err)
	}
	err = cmd.Wait()
	// A peer may leave children behind (a credential_process, say).
	_ = killGroup(cmd.Process)
	if ctx.Err() != nil {
		err = fmt.Errorf("peertest: %s did not finish within %v: %w", path, runTimeout, ctx.Err())
	}
	return stdout.String(), stderr.String(), err
}
