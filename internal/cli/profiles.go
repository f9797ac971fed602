package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
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
// credentials files define. Missing files define none.
func profileNames() ([]string, error) {
	configFile, credentialsFile := sharedFiles()
	var names []string
	for _, f := range []struct {
		path   string
		config bool
	}{{configFile, true}, {credentialsFile, false}} {
		sections, err := readSections(f.path)
		if err != nil {
			return nil, err
		}
		for _, s := range sections {
			if name, ok := sectionProfile(s, f.config); ok {
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

func readSections(path string) ([]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return iniSections(f)
}

// iniSections returns the names inside the [section] headers of an INI
// file, in order, with surrounding space removed.
func iniSections(r io.Reader) ([]string, error) {
	var names []string
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "[") {
			continue
		}
		end := strings.IndexByte(line, ']')
		if end < 0 {
			continue
		}
		if name := strings.TrimSpace(line[1:end]); name != "" {
			names = append(names, name)
		}
	}
	return names, sc.Err()
}

// sectionProfile returns the profile a section header defines. In the
// config file that is [default] or [profile NAME] (other sections, such as
// [sso-session NAME], are not profiles); in the credentials file every
// section is a profile.
func sectionProfile(section string, configFile bool) (string, bool) {
	fields := strings.Fields(section)
	switch {
	case !configFile && len(fields) == 1:
		return fields[0], true
	case configFile && len(fields) == 1 && fields[0] == config.DefaultSharedConfigProfile:
		return fields[0], true
	case configFile && len(fields) == 2 && fields[0] == "profile":
		return fields[1], true
	}
	return "", false
}

// unknownProfile is the usage error for a profile that no file defines,
// chosen by the variable from when from is not empty; it names the
// profiles that exist.
func unknownProfile(name, from string) error {
	label := profileLabel(name, from)
	configFile, credentialsFile := sharedFiles()
	names, err := profileNames()
	if err != nil || len(names) == 0 {
		return usageErrorf("profile %s does not exist: %s and %s define no profiles", label, configFile, credentialsFile)
	}
	return usageErrorf("profile %s does not exist; the profiles in %s and %s are: %s", label, configFile, credentialsFile, strings.Join(names, ", "))
}

// profileLabel quotes a profile's name for messages, and says which
// variable chose it when from is not empty.
func profileLabel(name, from string) string {
	if from != "" {
		return fmt.Sprintf("%q (from %s)", name, from)
	}
	return fmt.Sprintf("%q", name)
}
