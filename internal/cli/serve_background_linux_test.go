package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sessioncache/sessioncache/internal/ptytest"
)

// `sessioncache serve &` from a shell with job control: when its
// credentials are due for refresh and need a code, the job, outside the
// terminal's foreground process group, is not stopped by SIGTTOU. It
// keeps serving, says on standard error that a code is needed and how to
// give one, and leaves the terminal as it was.
func TestServeInABackgroundJob(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("needs bash for job control")
	}
	bin := buildBinary(t)
	home, env := testHome(t)
	cacheEntry(t, home, "mfa", time.Now().Add(17*time.Minute))
	env = append(env, "AWS_ENDPOINT_URL=http://127.0.0.1:1", "SESSIONCACHE_NO_DIALOG=1")
	work := t.TempDir()
	outFile := filepath.Join(work, "serve.env")

	term := ptytest.Open(t)
	// set -m: the job gets a process group of its own, as in an
	// interactive shell; the shell stays in the foreground.
	cmd := exec.Command("bash", "-c", `set -m; "$0" serve -p mfa --addr 127.0.0.1:0 >"$1" & echo $!; wait`, bin, outFile)
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderrR, stderrW := io.Pipe()
	cmd.Stderr = stderrW
	term.Attach(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); stderrW.Close() }()
	var pid int
	if _, err := fmt.Fscan(stdout, &pid); err != nil {
		t.Fatalf("no job started: %v", err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(pid, syscall.SIGKILL)
			_ = cmd.Process.Kill()
			t.Error("serve did not stop on SIGTERM")
		}
	})

	said := make(chan string, 1)
	go func() {
		var all strings.Builder
		sc := bufio.NewScanner(stderrR)
		for sc.Scan() {
			all.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "due for refresh") {
				said <- all.String()
				break
			}
		}
		_, _ = io.Copy(io.Discard, stderrR)
	}()
	var text string
	select {
	case text = <-said:
	case <-time.After(20 * time.Second):
		state, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		t.Fatalf("serve did not say that a code is needed; its state: %q; the terminal shows %q", state, term.Output())
	}
	for _, want := range []string{"need an MFA code for arn:aws:iam::123456789012:mfa/alice", "mfa_process", "keeps serving"} {
		if !strings.Contains(text, want) {
			t.Errorf("serve said %q, want it to name %q", text, want)
		}
	}

	// It still serves: a process stopped by SIGTTOU would not answer.
	lines, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, line := range strings.Split(string(lines), "\n") {
		if k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "="); ok {
			vars[k] = strings.Trim(v, "'")
		}
	}
	url, token := vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"], vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", token)
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("serve in the background does not answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("serve answered %d, want 200 with the cached credentials", resp.StatusCode)
	}
	if term.EchoOff() {
		t.Error("the terminal was left without echo")
	}
}

// A command in a background job that needs a code it cannot get says that
// it runs in the background, and how to give the code; not that there is
// no terminal.
func TestBackgroundJobNeedingACodeSaysSo(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("needs bash for job control")
	}
	bin := buildBinary(t)
	_, env := testHome(t)
	env = append(env, "AWS_ENDPOINT_URL=http://127.0.0.1:1", "SESSIONCACHE_NO_DIALOG=1")
	term := ptytest.Open(t)
	cmd := exec.Command("bash", "-c", `set -m; "$0" export -p mfa </dev/null & wait $!`, bin)
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	term.Attach(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var err error
	select {
	case err = <-exited:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("the job was stopped or hangs; the terminal shows %q", term.Output())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("exit = %v, want status 1", err)
	}
	want := `profile "mfa" needs an MFA code for arn:aws:iam::123456789012:mfa/alice, but it runs in a background job, which may not ask on the terminal: run it in the foreground, set mfa_process in the profile, or pass --mfa-token -`
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
}
