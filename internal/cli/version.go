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

// version and commit are stamped into release builds with
// -ldflags "-X github.com/sessioncache/sessioncache/internal/cli.version=v1.2.3
// -X github.com/sessioncache/sessioncache/internal/cli.commit=<sha>"
// (see .goreleaser.yaml); other builds leave them empty.
var version, commit string

// versionString reports the version stamped into a release build, else
// the module version "go install ...@version" records, else "(devel)";
// the commit when the build knows it; and the Go version.
func versionString() string {
	v, goVersion, c := version, runtime.Version(), commit
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" {
			v = bi.Main.Version
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && c == "" {
				c = s.Value
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	s := "sessioncache " + v + "\n"
	if c != "" {
		s += "commit " + c + "\n"
	}
	return s + fmt.Sprintf("built with %s for %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
}
