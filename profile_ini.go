package sessioncache

import (
	"bufio"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
)

// profileSetting returns the value of key in profile's section of the
// shared config files, for settings the SDK does not read (such as
// aws-vault's mfa_process). As in the SDK, a later file wins over an
// earlier one, and [profile default] over [default]. Files that cannot be
// read hold nothing; indented lines (sub-settings and continuations) are
// skipped.
func profileSetting(files []string, profile, key string) string {
	var value string
	for _, path := range files {
		if v, ok := iniValue(path, profile, key); ok {
			value = v
		}
	}
	return value
}

// iniValue reads key in profile's sections of one config file.
func iniValue(path, profile, key string) (value string, found bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	// rank is how well the current section names the profile: 0 not at
	// all, 1 [default], 2 [profile NAME].
	rank, best := 0, 0
	for sc.Scan() {
		raw := sc.Text()
		line := strings.TrimSpace(raw)
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			rank = 0
			if end := strings.IndexByte(line, ']'); end > 0 {
				rank = sectionRank(strings.Fields(line[1:end]), profile)
			}
			continue
		case rank == 0 || rank < best || raw[0] == ' ' || raw[0] == '\t':
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(k) == key {
			value, found, best = strings.TrimSpace(v), true, rank
		}
	}
	return value, found
}

func sectionRank(fields []string, profile string) int {
	switch {
	case len(fields) == 2 && fields[0] == "profile" && fields[1] == profile:
		return 2
	case len(fields) == 1 && fields[0] == profile && profile == config.DefaultSharedConfigProfile:
		return 1
	}
	return 0
}
