//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd || windows)

package sessioncache

const defaultTTYPath = "/dev/tty"
