//go:build !unix

package tty

import "os"

// background is false where there are no process groups.
func background(*os.File) bool { return false }

// Foreground reports whether the process may take the console's
// interrupts as its own; without job control, a console has no
// background.
func Foreground() bool { return Available() }

// Background is false where there is no job control.
func Background() bool { return false }
