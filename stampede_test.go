package sessioncache

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/sessioncache/sessioncache/internal/lockfile"
	"github.com/sessioncache/sessioncache/ststest"
)

// The environment of a helper process: what it does and with what.
const (
	envHelper     = "SESSIONCACHE_TEST_HELPER"
	envHelperDir  = "SESSIONCACHE_TEST_DIR"
	envHelperKey  = "SESSIONCACHE_TEST_KEY"
	envHelperSTS  = "SESSIONCACHE_TEST_STS"
	envHelperLog  = "SESSIONCACHE_TEST_PROMPTS"
	envHelperStep = "SESSIONCACHE_TEST_STEP"
)

// TestHelperProcess is not a test: it is the body of the processes the
// tests below start by running the test binary again.
func TestHelperProcess(t *testing.T) {
	role := os.Getenv(envHelper)
	if role == "" {
		return
	}
	if err := helperMain(role); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	os.Exit(0)
}

func helperMain(role string) error {
	dir, key := os.Getenv(envHelperDir), os.Getenv(envHelperKey)
	c := NewFileCache(dir)
	switch role {
	case "stampede":
		// A program that needs the role's credentials, with a person who
		// takes a moment to type the code.
		prompts, err := os.OpenFile(os.Getenv(envHelperLog), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return err
		}
		f := NewAssumeRoleFetcher(newSTSClient(os.Getenv(envHelperSTS), nil), testRoleARN, func(o *AssumeRoleOptions) {
			o.SerialNumber = testSerial
			o.TokenProvider = func(context.Context, string) (string, error) {
				if _, err := fmt.Fprintf(prompts, "prompt in %d\n", os.Getpid()); err != nil {
					return "", err
				}
				time.Sleep(300 * time.Millisecond)
				return testCode, nil
			}
		})
		return retrieveWithTheOthers(NewProvider(f, func(o *ProviderOptions) { o.Cache = c }))
	case "hold-lock":
		unlock, err := c.Lock(context.Background(), key)
		if err != nil {
			return err
		}
		fmt.Println("locked")
		// Hold the lock until standard input closes, or until killed.
		_, _ = io.Copy(io.Discard, os.Stdin)
		unlock()
		return nil
	case "crash-write":
		step := os.Getenv(envHelperStep)
		testHookWriteStep = func(s string) {
			if s == step {
				p, _ := os.FindProcess(os.Getpid())
				_ = p.Kill()
				select {} // the kill is asynchronous on some systems
			}
		}
		return c.Set(key, testEntry("ASIANEW", time.Now().Add(time.Hour)))
	}
	if strings.HasPrefix(role, "login-") {
		return loginHelperMain(role)
	}
	return fmt.Errorf("unknown helper %q", role)
}

// retrieveWithTheOthers says "ready", waits for the test to close
// standard input, so that every helper retrieves at once, and prints the
// access key ID retrieved.
func retrieveWithTheOthers(p aws.CredentialsProvider) error {
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	creds, err := p.Retrieve(context.Background())
	if err != nil {
		return err
	}
	fmt.Println("key", creds.AccessKeyID)
	return nil
}

// helper is a running helper process.
type helper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

// startHelper runs the test binary as the helper role with env added to
// the environment.
func startHelper(t *testing.T, role string, env ...string) *helper {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), append([]string{envHelper + "=" + role}, env...)...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &helper{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	// A helper that hangs is killed, so the test fails instead of hanging.
	timer := time.AfterFunc(2*time.Minute, func() { _ = cmd.Process.Kill() })
	t.Cleanup(func() {
		timer.Stop()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return h
}

// expectLine reads the helper's next line and checks it.
func (h *helper) expectLine(t *testing.T, want string) string {
	t.Helper()
	line, err := h.out.ReadString('\n')
	for err == nil && strings.HasPrefix(line, "=== ") { // a verbose test binary's
		line, err = h.out.ReadString('\n')
	}
	line = strings.TrimSpace(line)
	if err != nil || !strings.HasPrefix(line, want) {
		t.Fatalf("helper %d said %q (%v), want %q", h.cmd.Process.Pid, line, err, want)
	}
	return line
}

// stampede starts n helper processes in role, lets them retrieve
// credentials all at once when every one is ready, and counts the access
// key ids they got.
func stampede(t *testing.T, n int, role string, env ...string) map[string]int {
	t.Helper()
	helpers := make([]*helper, n)
	for i := range helpers {
		helpers[i] = startHelper(t, role, env...)
	}
	for _, h := range helpers {
		h.expectLine(t, "ready")
	}
	start := time.Now()
	for _, h := range helpers {
		h.stdin.Close()
	}
	keys := map[string]int{}
	for _, h := range helpers {
		line := h.expectLine(t, "key ")
		keys[strings.TrimPrefix(line, "key ")]++
		if err := h.cmd.Wait(); err != nil {
			t.Errorf("helper %d: %v", h.cmd.Process.Pid, err)
		}
	}
	t.Logf("%d processes had credentials %v after the start", n, time.Since(start).Round(time.Millisecond))
	return keys
}

func TestStampedeAcrossProcessesPromptsAndCallsOnce(t *testing.T) {
	const processes = 50
	srv := ststest.NewServer(func(o *ststest.Options) {
		o.RequireMFA = true
		o.MFACode = testCode
	})
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "cache")
	prompts := filepath.Join(t.TempDir(), "prompts")
	if err := os.WriteFile(prompts, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	keys := stampede(t, processes, "stampede", envHelperDir+"="+dir, envHelperSTS+"="+srv.URL, envHelperLog+"="+prompts)

	if n := srv.Calls("AssumeRole"); n != 1 {
		t.Errorf("%d AssumeRole calls, want 1", n)
	}
	b, err := os.ReadFile(prompts)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n != 1 {
		t.Errorf("%d prompts, want 1:\n%s", n, b)
	}
	if len(keys) != 1 {
		t.Errorf("the processes got %d different access key ids, want 1: %v", len(keys), keys)
	}
}

func TestKilledLockHolderIsTakenOverAtOnce(t *testing.T) {
	setLockWaitNotice(t, 50*time.Millisecond)
	dir := filepath.Join(t.TempDir(), "cache")
	const key = "0123456789abcdef0123456789abcdef01234567"
	holder := startHelper(t, "hold-lock", envHelperDir+"="+dir, envHelperKey+"="+key)
	holder.expectLine(t, "locked")

	retries := make(chan struct{}, 100)
	t.Cleanup(func() { lockfile.TestHookRetry = nil })
	lockfile.TestHookRetry = func() {
		select {
		case retries <- struct{}{}:
		default:
		}
	}
	var waits atomic.Int32
	waiting := make(chan int, 10)
	c := NewFileCache(dir, func(o *FileCacheOptions) {
		o.OnWait = func(h LockHolder) {
			waits.Add(1)
			waiting <- h.PID
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	locked := make(chan error, 1)
	var lockedAt time.Time
	go func() {
		unlock, err := c.Lock(ctx, key)
		lockedAt = time.Now()
		if err == nil {
			unlock()
		}
		locked <- err
	}()

	if pid := <-waiting; pid != holder.cmd.Process.Pid {
		t.Errorf("OnWait got pid %d, want the holder's %d", pid, holder.cmd.Process.Pid)
	}
	// Let it wait on, past several more tries: OnWait is called once.
	for len(retries) > 0 {
		<-retries
	}
	for range 3 {
		<-retries
	}
	killedAt := time.Now()
	if err := holder.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := <-locked; err != nil {
		t.Fatalf("Lock after the holder died: %v", err)
	}
	if d := lockedAt.Sub(killedAt); d > 3*time.Second {
		t.Errorf("the lock was taken %v after its holder died, want at once", d)
	}
	if n := waits.Load(); n != 1 {
		t.Errorf("OnWait called %d times, want 1", n)
	}
}

func TestOnWaitIsCalledAfterTheNoticeDelay(t *testing.T) {
	tests := map[string]struct {
		holdFor  time.Duration
		notice   time.Duration
		wantCall bool
	}{
		"a short wait is not reported": {holdFor: 50 * time.Millisecond, notice: time.Hour},
		"a long wait is reported once": {holdFor: 400 * time.Millisecond, notice: 100 * time.Millisecond, wantCall: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			setLockWaitNotice(t, tt.notice)
			var mu sync.Mutex
			var calls []time.Duration
			start := time.Now()
			c := NewFileCache(filepath.Join(t.TempDir(), "cache"), func(o *FileCacheOptions) {
				o.OnWait = func(h LockHolder) {
					pid := h.PID
					mu.Lock()
					defer mu.Unlock()
					calls = append(calls, time.Since(start))
					if pid != os.Getpid() {
						t.Errorf("OnWait got pid %d, want the holder's %d", pid, os.Getpid())
					}
				}
			})
			const key = "k"
			unlock, err := c.Lock(context.Background(), key)
			if err != nil {
				t.Fatal(err)
			}
			time.AfterFunc(tt.holdFor, unlock)
			unlock2, err := c.Lock(context.Background(), key)
			if err != nil {
				t.Fatal(err)
			}
			unlock2()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case !tt.wantCall && len(calls) != 0:
				t.Errorf("OnWait called %d times, want none", len(calls))
			case tt.wantCall && len(calls) != 1:
				t.Errorf("OnWait called %d times, want 1", len(calls))
			case tt.wantCall && calls[0] < tt.notice:
				t.Errorf("OnWait called after %v, before the notice delay %v", calls[0], tt.notice)
			}
		})
	}
}

func TestLockWaitHonoursContext(t *testing.T) {
	tests := map[string]struct {
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		"cancelled": {ctx: func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			return ctx, cancel
		}, want: context.Canceled},
		"deadline": {ctx: func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, want: context.DeadlineExceeded},
		"already done": {ctx: func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, want: context.Canceled},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c := newTestCache(t, nil)
			unlock, err := c.Lock(context.Background(), "k")
			if err != nil {
				t.Fatal(err)
			}
			defer unlock()
			ctx, cancel := tt.ctx()
			defer cancel()
			start := time.Now()
			_, err = c.Lock(ctx, "k")
			if !errors.Is(err, tt.want) {
				t.Fatalf("Lock error = %v, want %v", err, tt.want)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("Lock returned %v after it began, want soon after the context ended", d)
			}
		})
	}
}

func TestLockIsReleasedForTheNext(t *testing.T) {
	c := newTestCache(t, nil)
	for i := range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		unlock, err := c.Lock(ctx, "k")
		cancel()
		if err != nil {
			t.Fatalf("Lock %d: %v", i, err)
		}
		// Windows keeps other handles from writing a locked file.
		b, err := os.ReadFile(filepath.Join(c.Dir(), "k.lock"))
		if pid, _, _ := strings.Cut(string(b), "\n"); err != nil || pid != strconv.Itoa(os.Getpid()) {
			t.Errorf("the lock file holds %q (%v), want this process's pid", b, err)
		}
		unlock()
	}
}

func setLockWaitNotice(t *testing.T, d time.Duration) {
	t.Helper()
	old := lockfile.WaitNotice
	lockfile.WaitNotice = d
	t.Cleanup(func() { lockfile.WaitNotice = old })
}
