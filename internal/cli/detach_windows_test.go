package cli

// detachTerminal does nothing: the library prompts on Windows only
// through standard input.
func detachTerminal() {}
