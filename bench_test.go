package sessioncache

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// benchCache returns a cache directory with a warm entry for the role the
// benchmarks assume, and others unrelated entries beside it.
func benchCache(b *testing.B, others int) *FileCache {
	b.Helper()
	c := NewFileCache(filepath.Join(b.TempDir(), "cache"))
	exp := time.Now().Add(24 * time.Hour)
	putEntry(b, c, testAssumeRoleKey(), testEntry("ASIAWARM", exp))
	if others > 0 {
		data, err := testEntry("ASIAOTHER", exp).Encode()
		if err != nil {
			b.Fatal(err)
		}
		for i := range others {
			if err := os.WriteFile(filepath.Join(c.Dir(), fmt.Sprintf("%040x.json", i)), data, 0o600); err != nil {
				b.Fatal(err)
			}
		}
	}
	return c
}

// retrieveAsNewProcess does what a new process does for a cache hit: make
// the cache, the fetcher and the provider, and retrieve.
func retrieveAsNewProcess(b *testing.B, dir string) {
	c := NewFileCache(dir)
	f := NewAssumeRoleFetcher(nil, testRoleARN, func(o *AssumeRoleOptions) { o.SerialNumber = testSerial })
	creds, err := NewProvider(f, func(o *ProviderOptions) { o.Cache = c }).Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != "ASIAWARM" {
		b.Fatalf("Retrieve: %v", err)
	}
}

func BenchmarkRetrieveFileCache(b *testing.B) {
	dir := benchCache(b, 0).Dir()
	b.ReportAllocs()
	for b.Loop() {
		retrieveAsNewProcess(b, dir)
	}
}

func BenchmarkRetrieveMemoryCache(b *testing.B) {
	c := benchCache(b, 0)
	f := NewAssumeRoleFetcher(nil, testRoleARN, func(o *AssumeRoleOptions) { o.SerialNumber = testSerial })
	cp := aws.NewCredentialsCache(NewProvider(f, func(o *ProviderOptions) { o.Cache = c }))
	if _, err := cp.Retrieve(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cp.Retrieve(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadFileUnmarshal is the floor for BenchmarkRetrieveFileCache:
// reading the same file and decoding its credentials, with no checks.
func BenchmarkReadFileUnmarshal(b *testing.B) {
	path := benchCache(b, 0).Path(testAssumeRoleKey())
	b.ReportAllocs()
	for b.Loop() {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		var v struct {
			Credentials struct {
				AccessKeyID     string `json:"AccessKeyId"`
				SecretAccessKey string
				SessionToken    string
				Expiration      time.Time
			}
		}
		if err := json.Unmarshal(data, &v); err != nil || v.Credentials.AccessKeyID != "ASIAWARM" {
			b.Fatalf("Unmarshal: %v", err)
		}
	}
}

func BenchmarkLookupWith10000Entries(b *testing.B) {
	dir := benchCache(b, 10000).Dir()
	b.ReportAllocs()
	for b.Loop() {
		retrieveAsNewProcess(b, dir)
	}
}

func BenchmarkList10000(b *testing.B) {
	c := benchCache(b, 9999)
	b.ReportAllocs()
	for b.Loop() {
		entries, err := c.List()
		if err != nil || len(entries) != 10000 {
			b.Fatalf("List: %d entries, %v", len(entries), err)
		}
	}
}

// largeConfig writes a config of n role profiles, as large SSO
// organisations generate, and returns the options that select it.
func largeConfig(b *testing.B, n int) []func(*config.LoadOptions) error {
	b.Helper()
	dir := b.TempDir()
	var sb strings.Builder
	sb.WriteString("[profile src]\naws_access_key_id = AKIABENCHSOURCE00001\naws_secret_access_key = s\n")
	for i := range n {
		fmt.Fprintf(&sb, "\n[profile role%d]\nrole_arn = arn:aws:iam::123456789012:role/role%d\nsource_profile = src\nmfa_serial = %s\nregion = us-east-1\n", i, i, testSerial)
	}
	path := filepath.Join(dir, "config")
	if err := os.WriteFile(path, []byte(sb.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	return []func(*config.LoadOptions) error{
		config.WithSharedConfigFiles([]string{path}),
		config.WithSharedCredentialsFiles([]string{filepath.Join(dir, "credentials")}),
	}
}

// BenchmarkAllProfileEntries2000 is what list and clear do to name the
// profiles of every entry.
func BenchmarkAllProfileEntries2000(b *testing.B) {
	opts := largeConfig(b, 2000)
	l := &Loader{CacheDir: b.TempDir()}
	for b.Loop() {
		all, err := l.AllProfileEntries(context.Background(), opts...)
		if err != nil || len(all) != 2000 {
			b.Fatalf("%d profiles, %v", len(all), err)
		}
	}
}

// BenchmarkProfileEntriesOf2000 is what export does before it reads the
// cache, with a config of 2,000 profiles.
func BenchmarkProfileEntriesOf2000(b *testing.B) {
	opts := append(largeConfig(b, 2000), config.WithSharedConfigProfile("role1999"))
	l := &Loader{CacheDir: b.TempDir()}
	for b.Loop() {
		if pes, err := l.ProfileEntries(context.Background(), opts...); err != nil || len(pes) != 1 {
			b.Fatalf("%v, %v", pes, err)
		}
	}
}
