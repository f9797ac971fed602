package tty

// defaultPath is the console's input; lines for the person go to CONOUT$.
const defaultPath = "CONIN$"
