package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache/internal/awsini"
	"github.com/spf13/cobra"
)

// sharedFiles returns the shared config and credentials files the SDK
// reads: $AWS_CONFIG_FILE and $AWS_SHARED_CREDENTIALS_FILE, else the ones
// in ~/.aws.
func sharedFiles() (configFile, credentialsFile string) {
	configFile = os.Getenv("AWS_CONFIG_FILE")
	if configFile == "" {
		configFile = config.DefaultSharedConfigFilename()
	}
	credentialsFile = os.Getenv("AWS_SHARED_CREDENTIALS_FILE")
	if credentialsFile == "" {
		credentialsFile = config.DefaultSharedCredentialsFilename()
	}
	return configFile, credentialsFile
}

// profileNames returns, sorted, the profiles the shared config and
// credentials files define. Missing files define none; a file that cannot
// be parsed is a *sessioncache.ConfigParseError.
func profileNames() ([]string, error) {
	configFile, credentialsFile := sharedFiles()
	var names []string
	for _, f := range []struct {
		path        string
		credentials bool
	}{{configFile, false}, {credentialsFile, true}} {
		parsed, err := awsini.Load(f.path)
		if err != nil {
			return nil, err
		}
		names = append(names, parsed.Profiles(f.credentials)...)
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// readsSharedFiles reports whether cmd reads the shared config and
// credentials files: every command but version, demo, help and completion.
func readsSharedFiles(cmd *cobra.Command) bool {
	for c := cmd; c != nil; c = c.Parent() {
		switch c.Name() {
		case "version", "demo", "help", "completion", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd:
			return false
		}
	}
	return true
}

// checkSharedFiles parses the shared config and credentials files, so that
// a syntax error is reported as itself (cannot parse FILE line N: ...).
// The parse is kept for the rest of the command.
func checkSharedFiles() error {
	configFile, credentialsFile := sharedFiles()
	_, err := awsini.LoadAll([]string{configFile, credentialsFile})
	return err
}

// unknownProfile is the error for a profile that no file defines, chosen
// by the variable from when from is not empty. It names the files and the
// nearest names, and stays short however many profiles there are.
func unknownProfile(name, from string) error {
	label := profileLabel(name, from)
	configFile, credentialsFile := sharedFiles()
	names, err := profileNames()
	switch {
	case err == nil && len(names) == 0 && noSharedFiles():
		return configErrorf("profile %s does not exist: %s", label, missingSharedFiles())
	case err != nil || len(names) == 0:
		return configErrorf("profile %s does not exist: %s and %s define no profiles", label, configFile, credentialsFile)
	}
	where := fmt.Sprintf("profile %s does not exist in %s or %s", label, configFile, credentialsFile)
	if near := nearestNames(name, names, 3); len(near) > 0 {
		return configErrorf("%s; did you mean %s?", where, quotedOr(near))
	}
	if len(names) <= maxListedProfiles {
		return configErrorf("%s, which define %s", where, strings.Join(names, ", "))
	}
	return configErrorf("%s, which define %d profiles, none named like it", where, len(names))
}

// noSharedFiles reports whether neither the config file nor the
// credentials file exists: a new machine, or AWS_CONFIG_FILE not set as
// intended.
func noSharedFiles() bool {
	configFile, credentialsFile := sharedFiles()
	for _, path := range []string{configFile, credentialsFile} {
		if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
			return false
		}
	}
	return true
}

// missingSharedFiles says that the shared files do not exist and what to
// do.
func missingSharedFiles() string {
	configFile, credentialsFile := sharedFiles()
	return fmt.Sprintf("there is no %s or %s: run \"aws configure\" to make them, or set AWS_CONFIG_FILE to your config file", configFile, credentialsFile)
}

// maxListedProfiles is how many profile names a message lists before it
// counts them instead.
const maxListedProfiles = 10

// nearestNames returns up to n of names that are close to name: the same
// but for case, or within an edit distance of a third of its length,
// or starting with it; only the nearest are returned.
func nearestNames(name string, names []string, n int) []string {
	type cand struct {
		name string
		d    int
	}
	lower := strings.ToLower(name)
	limit := max(1, len([]rune(name))/3)
	var cands []cand
	for _, c := range names {
		d := editDistance(lower, strings.ToLower(c))
		if d <= limit || strings.HasPrefix(strings.ToLower(c), lower) && len(lower) >= 3 {
			cands = append(cands, cand{c, d})
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return a.d - b.d })
	var out []string
	for _, c := range cands {
		if len(out) == n || c.d > cands[0].d {
			break
		}
		out = append(out, c.name)
	}
	return out
}

// editDistance is the number of single-rune edits (insert, delete,
// replace, or swap two neighbours, the commonest slip) from a to b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// d[i][j] is the distance between ra[:i] and rb[:j].
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// quotedOr joins names as "a", "b" or "c".
func quotedOr(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// someNames lists names, or the first of them and how many more there
// are, so that a message stays a line.
func someNames(names []string) string {
	if len(names) <= maxListedProfiles {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxListedProfiles], ", "), len(names)-maxListedProfiles)
}

// profileLabel quotes a profile's name for messages, and says which
// variable chose it when from is not empty.
func profileLabel(name, from string) string {
	if from != "" {
		return fmt.Sprintf("%q (from %s)", name, from)
	}
	return fmt.Sprintf("%q", name)
}
