//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd || windows)

package tty

const defaultPath = "/dev/tty"
