package cli

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of sessioncache and of Go it was built with",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVersion(cmd.OutOrStdout())
		},
	}
}

func runVersion(w io.Writer) error {
	_, err := io.WriteString(w, versionString())
	return err
}

// versionString reports the module version "go install ...@version"
// records, "(devel)" for other builds, the commit when the build knows
// it, and the Go version.
func versionString() string {
	version, goVersion, commit := "(devel)", runtime.Version(), ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				commit = s.Value
			}
		}
	}
	s := "sessioncache " + version + "\n"
	if commit != "" {
		s += "commit " + commit + "\n"
	}
	return s + fmt.Sprintf("built with %s for %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
}
