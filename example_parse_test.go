package sessioncache_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache"
)

// A config file with a broken header is one error that names the file and
// the line, whichever profile is asked for.
func ExampleConfigParseError() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "config")
	_ = os.WriteFile(path, []byte("[profile base]\nregion = us-east-1\n[profile admin\nrole_arn = arn:aws:iam::123456789012:role/admin\n"), 0o600)

	_, err := sessioncache.LoadDefaultConfig(context.Background(),
		config.WithSharedConfigFiles([]string{path}),
		config.WithSharedCredentialsFiles([]string{filepath.Join(dir, "credentials")}),
		config.WithSharedConfigProfile("base"))
	var parse *sessioncache.ConfigParseError
	if errors.As(err, &parse) {
		fmt.Printf("line %d: %s\n", parse.Line, parse.Problem)
	}
	// Output: line 3: a [section] header without its closing ]
}
