// Package proc holds what the platforms do differently for the programs
// sessioncache starts: the MFA code program, and the command of exec
// --server.
package proc
