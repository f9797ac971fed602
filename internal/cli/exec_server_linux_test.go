package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sessioncache/sessioncache/internal/proc"
)

// When exec --server is killed with SIGKILL, its command goes with it:
// it must not live on with a credential URL that any local process could
// then bind and answer.
func TestExecServerChildDiesWithParent(t *testing.T) {
	bin := buildBinary(t)
	home, env := testHome(t)
	pidFile := filepath.Join(home, "child.pid")
	cmd := exec.Command(bin, "exec", "--server", "-p", "base", "--", "sh", "-c", `echo $$ > "$0.tmp" && mv "$0.tmp" "$0"; exec sleep 60`, pidFile)
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var pid int
	deadline := time.Now().Add(30 * time.Second)
	for pid == 0 {
		if data, err := os.ReadFile(pidFile); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
		}
		if time.Now().After(deadline) {
			t.Fatal("the command did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	defer syscall.Kill(pid, syscall.SIGKILL)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	for range 250 {
		if !proc.Alive(pid) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("the command (pid %d) outlived sessioncache, killed with SIGKILL", pid)
}
