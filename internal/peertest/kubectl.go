package peertest

import (
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"testing"
)

var kubectlPeer = sync.OnceValue(func() peer {
	path, err := exec.LookPath("kubectl")
	if err != nil {
		return peer{err: errors.New("kubectl not found on PATH: install kubectl to run the EKS token tests")}
	}
	if out, err := check(path, "version", "--client"); err != nil {
		return peer{err: fmt.Errorf("kubectl version --client failed (%v): %s", err, out)}
	}
	return peer{path: path}
})

// Kubectl runs kubectl with args in env and returns what it wrote. It
// skips the test when kubectl is not installed (see [RequireEnv]).
func Kubectl(t testing.TB, env []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	p := kubectlPeer()
	if p.err != nil {
		missing(t, p.err.Error())
	}
	return run(t, env, "", p.path, args...)
}
