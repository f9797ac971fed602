//go:build unix

package sessioncache

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sessioncache/sessioncache/internal/proc"
)

// On timeout, what the program started goes too: its process group is
// killed.
func TestMFAProcessTimeoutKillsGroup(t *testing.T) {
	skipWithoutSh(t)
	noTerminal(t, "")
	pidFile := filepath.Join(t.TempDir(), "pid")
	_, err := runMFAProcess(context.Background(), mfaProcess{
		command: "sleep 30 & echo $! > " + pidFile + "; wait",
		timeout: 200 * time.Millisecond,
	})
	if err == nil || !strings.Contains(err.Error(), "gave no code within") {
		t.Fatalf("error = %v, want a timeout", err)
	}
	data, rerr := os.ReadFile(pidFile)
	if rerr != nil {
		t.Fatal(rerr)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	for range 100 {
		// Reaped by init once killed; until then a zombie answers.
		if !proc.Alive(pid) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	t.Errorf("the program's child %d lives on", pid)
}
