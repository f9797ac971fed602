// Package awsini is the one parser of the shared config and credentials
// files (~/.aws/config, ~/.aws/credentials). It reads sections and
// properties as the SDK's ini package does: comment lines start with # or
// ;, a property's comment follows a space or tab, "=" or ":" assigns, keys
// are lower-cased, values lose one pair of surrounding quotes, and
// indented lines are sub-properties (as in an "s3 =" block) or
// continuations. A line that no AWS tool can read is a *ParseError naming
// the file and the line, as the AWS CLI's ConfigParseError does, so that
// a broken section never gives its settings to the one above it.
package awsini

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// ParseError is a line of a shared file that cannot be read.
type ParseError struct {
	// Path is the file.
	Path string
	// Line is the line's number, from 1.
	Line int
	// Problem says what is wrong, without the line's text, which may hold
	// a secret key.
	Problem string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("cannot parse %s line %d: %s: fix the line, or move the file aside", e.Path, e.Line, e.Problem)
}

// Section is one section of a shared file. A header met again adds to the
// same section.
type Section struct {
	// Name is the header's text, with the space between a type and a
	// name made one: "default", "profile admin", "sso-session corp".
	Name string
	// Line is the number, from 1, of the section's first header line.
	Line int
	// Values holds the properties by lower-case key.
	Values map[string]string
	// Nested is set when the section has indented lines (sub-properties
	// or continuations), which the SDK may read otherwise.
	Nested bool
}

// File is a parsed shared file.
type File struct {
	// Path is the file read.
	Path string
	// Sections are in the order of their first header.
	Sections []*Section
	byName   map[string]*Section
}

// Section returns the section of that name, or nil.
func (f *File) Section(name string) *Section { return f.byName[name] }

// Profiles returns the names of the profiles the file defines, in order.
// In a config file those are [default] and [profile NAME] (others, such as
// [sso-session NAME], are not profiles); in a credentials file, every
// section whose name is one word.
func (f *File) Profiles(credentials bool) []string {
	var names []string
	for _, s := range f.Sections {
		if name, ok := profileName(s.Name, credentials); ok {
			names = append(names, name)
		}
	}
	return names
}

func profileName(section string, credentials bool) (string, bool) {
	fields := strings.Fields(section)
	switch {
	case credentials && len(fields) == 1:
		return fields[0], true
	case !credentials && len(fields) == 1 && fields[0] == "default":
		return fields[0], true
	case !credentials && len(fields) == 2 && fields[0] == "profile":
		return fields[1], true
	}
	return "", false
}

// Parse parses data, the contents of the file at path.
func Parse(path string, data []byte) (*File, error) {
	f, _, err := parse(path, data, false)
	return f, err
}

// Line is one line of a shared file, as Parse reads it.
type Line struct {
	// Text is the line as the file has it, with its line ending.
	Text string
	// Section is the Name of the section the line is in, or heads; "" for
	// lines before the first header.
	Section string
	// Header is set on a [section] header.
	Header bool
	// Key is the lower-case key of the setting the line makes, or that an
	// indented line (a sub-property or continuation) follows; "" for
	// headers, comments and blank lines.
	Key string
}

// Lines parses data as Parse does and returns its lines in order, so that
// a caller may copy the file and leave some settings out.
func Lines(path string, data []byte) ([]Line, error) {
	_, lines, err := parse(path, data, true)
	return lines, err
}

func parse(path string, data []byte, keepLines bool) (*File, []Line, error) {
	p := &parser{f: &File{Path: path, byName: map[string]*Section{}}}
	var lines []Line
	for i, text := range strings.SplitAfter(string(data), "\n") {
		l := Line{Text: text}
		if problem := p.line(&l, i+1); problem != "" {
			return nil, nil, &ParseError{Path: path, Line: i + 1, Problem: problem}
		}
		if keepLines {
			lines = append(lines, l)
		}
	}
	return p.f, lines, nil
}

// parser is the state of a parse between lines.
type parser struct {
	f   *File
	cur *Section
	key string // of the last setting, which indented lines follow
}

// line reads line number n into l and into the file, and returns why it
// cannot be read, or "".
func (p *parser) line(l *Line, n int) (problem string) {
	line := strings.TrimSuffix(strings.TrimSuffix(l.Text, "\n"), "\r")
	trimmed := strings.TrimLeft(line, " \t")
	if p.cur != nil {
		l.Section = p.cur.Name
	}
	if trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';' {
		return ""
	}
	indented := trimmed != line
	if trimmed[0] == '[' {
		name, problem := sectionName(trimmed)
		if problem != "" && indented && p.cur != nil {
			p.cur.Nested = true
			l.Key = p.key
			return ""
		}
		if problem != "" {
			return problem
		}
		p.cur = p.f.byName[name]
		if p.cur == nil {
			p.cur = &Section{Name: name, Line: n, Values: map[string]string{}}
			p.f.byName[name] = p.cur
			p.f.Sections = append(p.f.Sections, p.cur)
		}
		p.key = ""
		l.Section, l.Header = name, true
		return ""
	}
	if p.cur == nil {
		return "a setting before any [section] header"
	}
	if indented {
		// Sub-properties and continuations.
		p.cur.Nested = true
		l.Key = p.key
		return ""
	}
	k, v, ok := property(line)
	if !ok {
		return fmt.Sprintf("a line in [%s] that is neither a [section] header nor a key = value setting", p.cur.Name)
	}
	if k == "" {
		return fmt.Sprintf("a setting without a key in [%s]", p.cur.Name)
	}
	p.cur.Values[k] = v
	p.key, l.Key = k, k
	return ""
}

// sectionName reads a header line; problem says why it is not one.
func sectionName(line string) (name, problem string) {
	s, _, _ := strings.Cut(line, "#")
	s, _, _ = strings.Cut(s, ";")
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[len(s)-1] != ']' {
		return "", "a [section] header without its closing ]"
	}
	s = strings.TrimSpace(s[1 : len(s)-1])
	if s == "" {
		return "", "a [section] header without a name"
	}
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	typ, rest := s[:i], strings.TrimLeft(s[i:], " \t")
	return typ + " " + rest, ""
}

func property(line string) (key, value string, ok bool) {
	for _, c := range []string{" #", " ;", "\t#", "\t;"} {
		line, _, _ = strings.Cut(line, c)
	}
	line = strings.TrimRight(line, " \t")
	eq, colon := strings.Index(line, "="), strings.Index(line, ":")
	sep := "="
	if eq == -1 || colon != -1 && colon < eq {
		sep = ":"
	}
	k, v, ok := strings.Cut(line, sep)
	if !ok {
		return "", "", false
	}
	v = strings.TrimSpace(v)
	if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
		v = v[1 : len(v)-1]
	}
	return strings.ToLower(strings.TrimSpace(k)), v, true
}

// maxFileSize bounds what is read of a shared file.
const maxFileSize = 16 << 20

// fileState tells whether a file changed since it was parsed.
type fileState struct {
	size int64
	mod  time.Time
}

type cached struct {
	state fileState
	file  *File
	err   error
}

// racyAge is how old a file's modification time must be for its parse to
// be kept: a file written again within the file system's timestamp
// granularity could keep its size and time.
const racyAge = 2 * time.Second

var (
	mu    sync.Mutex
	cache = map[string]cached{}
)

// Load returns the parsed file at path. A missing or unreadable file is an
// empty one, as for the SDK. The result is kept while the file is
// unchanged, so that a command that consults the files several times (to
// pick a profile, list names, resolve credentials) parses each once.
// Callers must not change what it returns.
func Load(path string) (*File, error) {
	info, err := os.Stat(path)
	if err != nil || !info.Mode().IsRegular() {
		return &File{Path: path, byName: map[string]*Section{}}, nil
	}
	st := fileState{size: info.Size(), mod: info.ModTime()}
	mu.Lock()
	c, ok := cache[path]
	mu.Unlock()
	if ok && c.state == st {
		return c.file, c.err
	}
	data, err := readLimited(path)
	if err != nil {
		return &File{Path: path, byName: map[string]*Section{}}, nil
	}
	f, perr := Parse(path, data)
	if time.Since(st.mod) > racyAge {
		mu.Lock()
		cache[path] = cached{state: st, file: f, err: perr}
		mu.Unlock()
	}
	return f, perr
}

// LoadAll loads the files in order, stopping at the first parse error.
func LoadAll(paths []string) ([]*File, error) {
	files := make([]*File, 0, len(paths))
	for _, p := range paths {
		f, err := Load(p)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

func readLimited(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, errors.New("too large")
	}
	return data, nil
}
