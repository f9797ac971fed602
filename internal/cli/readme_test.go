package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// Every global flag has a row in the README's flag table.
func TestREADMEListsEveryGlobalFlag(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "| `-") {
			rows = append(rows, line)
		}
	}
	newRootCommand(&globals{}).PersistentFlags().VisitAll(func(f *pflag.Flag) {
		for _, row := range rows {
			if strings.Contains(row, "`--"+f.Name) {
				return
			}
		}
		t.Errorf("the README's flag table has no row for --%s", f.Name)
	})
}
