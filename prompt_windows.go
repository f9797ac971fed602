package sessioncache

// defaultTTYPath is the console's input; the prompt goes to CONOUT$.
const defaultTTYPath = "CONIN$"
