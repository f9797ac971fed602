package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/ststest"
)

func TestMain(m *testing.M) {
	testscript.Main(withBinary{m}, map[string]func(){
		"sessioncache": func() {
			// A script never prompts the developer's terminal: without a
			// controlling terminal, MFA codes come from stdin or flags.
			detachTerminal()
			openBrowser = scriptBrowser
			os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

// withBinary runs the tests with a directory for the sessioncache binary
// that buildBinary makes, and removes it afterwards.
type withBinary struct{ m *testing.M }

var binDir string

func (w withBinary) Run() int {
	dir, err := os.MkdirTemp("", "sessioncache-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	return w.m.Run()
}

var build struct {
	once sync.Once
	path string
	err  error
}

// buildBinary builds cmd/sessioncache once per test run, for the tests
// that need a real program: other tools run it, and exec replaces the
// process.
func buildBinary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		gotool, err := exec.LookPath("go")
		if err != nil {
			build.err = err
			return
		}
		build.path = filepath.Join(binDir, "sessioncache")
		if runtime.GOOS == "windows" {
			build.path += ".exe"
		}
		out, err := exec.Command(gotool, "build", "-o", build.path, "github.com/sessioncache/sessioncache/cmd/sessioncache").CombinedOutput()
		if err != nil {
			build.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatalf("build sessioncache: %v", build.err)
	}
	return build.path
}

var update = flag.Bool("update", false, "update the golden files of the scripts")

// TestScripts runs testdata/script/<subcommand>_<case>.txtar. Every script
// has HOME=$WORK/home holding testConfig and testCredentials (unless the
// script brings its own ~/.aws/config), and AWS_ENDPOINT_URL points at a
// port where nothing listens until the ststest command starts a local STS.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		Setup:         setupScript,
		UpdateScripts: *update,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"ststest":  cmdSTSTest,
			"stscalls": cmdSTSCalls,
			"entry":    cmdEntry,
			"emptydir": cmdEmptyDir,
			"noleak":   cmdNoLeak,
			// IAM Identity Center: sso_script_test.go.
			"ssotest":    cmdSSOTest,
			"ssoapprove": cmdSSOApprove,
			"ssocalls":   cmdSSOCalls,
			"holdlock":   cmdHoldLock,
			"ekscheck":   cmdEKSCheck,
			// Console sign-in: console_script_test.go.
			"federationtest": cmdFederationTest,
			"signin":         cmdSignin,
			"busyport":       cmdBusyPort,
		},
	})
}

// testConfig and testCredentials are ~/.aws/config and ~/.aws/credentials
// of every script that has none of its own. mfa and twin share a cache
// key (c08bbcd61d2960e17757c33319b79219a44dea4e); chain assumes a role
// with mfa's credentials; base has static keys.
const (
	testConfig = `[profile base]
region = eu-west-1

[profile mfa]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = base
mfa_serial = arn:aws:iam::123456789012:mfa/alice
region = eu-west-1

[profile twin]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = base
mfa_serial = arn:aws:iam::123456789012:mfa/alice

[profile reader]
role_arn = arn:aws:iam::123456789012:role/reader
source_profile = base

[profile chain]
role_arn = arn:aws:iam::123456789012:role/deploy
source_profile = mfa

[sso-session corp]
sso_start_url = https://example.invalid/start
`
	testCredentials = `[base]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
`
)

type stsKey struct{}

func setupScript(env *testscript.Env) error {
	home := filepath.Join(env.WorkDir, "home")
	aws := filepath.Join(home, ".aws")
	if err := os.MkdirAll(aws, 0o700); err != nil {
		return err
	}
	for name, text := range map[string]string{"config": testConfig, "credentials": testCredentials} {
		path := filepath.Join(aws, name)
		if _, err := os.Stat(path); err == nil {
			continue
		}
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			return err
		}
	}
	// Entries in the archive are written with the umask's modes; make
	// them what botocore makes, so that they are trusted.
	cache := filepath.Join(aws, "cli", "cache")
	if entries, err := os.ReadDir(cache); err == nil {
		if err := os.Chmod(cache, 0o700); err != nil {
			return err
		}
		for _, e := range entries {
			if err := os.Chmod(filepath.Join(cache, e.Name()), 0o600); err != nil {
				return err
			}
		}
	}
	env.Setenv("HOME", home)
	if runtime.GOOS == "windows" {
		env.Setenv("USERPROFILE", home)
	}
	env.Setenv("AWS_CONFIG_FILE", filepath.Join(aws, "config"))
	env.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(aws, "credentials"))
	env.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	env.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	// No dialog on the developer's desktop; scripts that test it unset it.
	env.Setenv(sessioncache.EnvNoDialog, "1")
	env.Values[stsKey{}] = new(*ststest.Server)
	env.Values[ssoKey{}] = new(*ssoServers)
	env.Values[federationKey{}] = new(*ststest.FederationServer)
	return nil
}

// cmdSTSTest starts a local STS for the script and points the SDK at it:
//
//	ststest [-mfa] [-code CODE]
//
// -mfa makes roles require MFA; -code makes CODE the only one accepted.
func cmdSTSTest(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! ststest")
	}
	fs := flag.NewFlagSet("ststest", flag.ContinueOnError)
	mfa := fs.Bool("mfa", false, "require MFA")
	code := fs.String("code", "", "the only MFA code accepted")
	ts.Check(fs.Parse(args))
	srv := ststest.NewServer(func(o *ststest.Options) {
		o.RequireMFA = *mfa
		o.MFACode = *code
	})
	ts.Defer(srv.Close)
	*ts.Value(stsKey{}).(**ststest.Server) = srv
	ts.Setenv("AWS_ENDPOINT_URL", srv.URL)
	ts.Setenv("AWS_ENDPOINT_URL_STS", srv.URL)
}

// cmdSTSCalls checks how many calls of an action the local STS answered:
//
//	stscalls ACTION N
func cmdSTSCalls(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: stscalls ACTION N")
	}
	srv := *ts.Value(stsKey{}).(**ststest.Server)
	if srv == nil {
		ts.Fatalf("stscalls: no ststest running")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	got := srv.Calls(args[0])
	if (got == want) == neg {
		ts.Fatalf("STS answered %d %s calls; want %s%d", got, args[0], map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

// cmdEntry writes the cache entry of a profile's role, with fake
// credentials named after the profile, expiring at a time relative to now
// (a Go duration such as 42m or -3h) or at an RFC 3339 time:
//
//	entry PROFILE EXPIRES
func cmdEntry(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: entry PROFILE EXPIRES")
	}
	exp, err := time.Parse(time.RFC3339, args[1])
	if err != nil {
		d, derr := time.ParseDuration(args[1])
		if derr != nil {
			ts.Fatalf("entry: %s is neither a duration nor an RFC 3339 time", args[1])
		}
		exp = time.Now().Add(d).Truncate(time.Second)
	}
	dir, pe := scriptEntry(ts, "entry", args[0])
	e := &sessioncache.Entry{
		Credentials: sessioncache.EntryCredentials{
			AccessKeyID:     ("ASIA" + strings.ToUpper(args[0]) + strings.Repeat("X", 16))[:20],
			SecretAccessKey: "fake-secret-of-" + args[0],
			SessionToken:    "fake-token-of-" + args[0],
			Expiration:      exp,
			AccountID:       "123456789012",
		},
		RequestID: "fake",
	}
	switch pe.Kind {
	case sessioncache.KindSSO:
		e.ProviderType = "sso"
	case sessioncache.KindAssumeRole, sessioncache.KindWebIdentity:
		role := pe.RoleARN[strings.LastIndex(pe.RoleARN, "/")+1:]
		e.AssumedRoleUser = &sessioncache.AssumedRoleUser{
			AssumedRoleID: "AROAFAKE:entry",
			ARN:           "arn:aws:sts::123456789012:assumed-role/" + role + "/entry",
		}
	}
	ts.Check(sessioncache.NewFileCache(dir).Set(pe.Key, e))
}

// scriptEntry returns the script's cache directory and the entry of the
// role a profile assumes.
func scriptEntry(ts *testscript.TestScript, cmd, profile string) (string, sessioncache.ProfileEntry) {
	dir := ts.Getenv("SESSIONCACHE_DIR")
	if dir == "" {
		dir = filepath.Join(ts.Getenv("HOME"), ".aws", "cli", "cache")
	}
	l := &sessioncache.Loader{CacheDir: dir, MFASession: true}
	pes, err := l.ProfileEntries(context.Background(),
		config.WithSharedConfigProfile(profile),
		config.WithSharedConfigFiles([]string{ts.Getenv("AWS_CONFIG_FILE")}),
		config.WithSharedCredentialsFiles([]string{ts.Getenv("AWS_SHARED_CREDENTIALS_FILE")}))
	ts.Check(err)
	if len(pes) == 0 {
		ts.Fatalf("%s: profile %s assumes no role", cmd, profile)
	}
	return dir, pes[len(pes)-1]
}

// cmdHoldLock takes the lock of the entry of a profile, as another process
// refreshing it would, and holds it until the script ends:
//
//	holdlock PROFILE
func cmdHoldLock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: holdlock PROFILE")
	}
	dir, pe := scriptEntry(ts, "holdlock", args[0])
	unlock, err := sessioncache.NewFileCache(dir).Lock(context.Background(), pe.Key)
	ts.Check(err)
	ts.Defer(unlock)
}

// cmdEmptyDir checks that a directory holds nothing:
//
//	emptydir DIR
func cmdEmptyDir(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: emptydir DIR")
	}
	entries, err := os.ReadDir(ts.MkAbs(args[0]))
	ts.Check(err)
	if (len(entries) == 0) == neg {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		ts.Fatalf("%s holds %q", args[0], names)
	}
}

// cmdNoLeak checks that no secret value of a credentials file written by
// `export --format env-no-export` appears in another file, without
// printing the secret:
//
//	noleak CREDENTIALS FILE
func cmdNoLeak(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: noleak CREDENTIALS FILE")
	}
	text := ts.ReadFile(args[1])
	sc := bufio.NewScanner(strings.NewReader(ts.ReadFile(args[0])))
	n := 0
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), "=")
		if !ok || (name != "AWS_SECRET_ACCESS_KEY" && name != "AWS_SESSION_TOKEN") {
			continue
		}
		n++
		if strings.Contains(text, value) {
			ts.Fatalf("%s holds the value of %s", args[1], name)
		}
	}
	if n == 0 {
		ts.Fatalf("%s holds no secret to look for", args[0])
	}
}
