package cli

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache/internal/awsini"
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
