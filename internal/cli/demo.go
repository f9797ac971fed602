package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sessioncache/sessioncache"
	"github.com/sessioncache/sessioncache/internal/safefile"
	"github.com/sessioncache/sessioncache/internal/tty"
	"github.com/sessioncache/sessioncache/ststest"
	"github.com/spf13/cobra"
)

// The demo's profile: a role that requires MFA, assumed with the fake
// keys of a source profile.
const (
	demoProfile = "demo"
	demoRole    = "arn:aws:iam::123456789012:role/demo"
	demoMFA     = "arn:aws:iam::123456789012:mfa/demo-user"
	demoConfig  = `[profile demo]
role_arn = ` + demoRole + `
source_profile = demo-user
mfa_serial = ` + demoMFA + `
region = us-east-1
`
	demoCredentials = `[demo-user]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
`
	// demoCode is the code --yes types; the local STS takes any six digits.
	demoCode = "123456"
)

func newDemoCommand(g *globals) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "demo [--yes]",
		Short: "See the shared cache at work, with no AWS account",
		Long: `Demo starts a local STS that requires MFA, in a temporary HOME, and
shows what sessioncache does: the first use asks for an MFA code (any six
digits will do) and calls STS; the entry lands where the AWS CLI keeps its
cache, in its format; a second use, as another program would make it,
neither asks nor calls STS. It then signs in to a local IAM Identity
Center (SSO), with the user's approval simulated, and shows a second
program use the SSO token with no sign-in. Last, the role's session signs
a token for kubectl and a console sign-in, still with no prompt and no STS
call, and ten programs that find the credentials of an aws login session
expired share one refresh. Everything it made is removed at the end, and
your own ~/.aws is never read or written.

--yes types the MFA code for you, for use without a terminal.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), g, yes, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "type an MFA code for you")
	return cmd
}

func runDemo(ctx context.Context, g *globals, yes bool, w io.Writer) (err error) {
	st := newStyle(w)
	home, err := os.MkdirTemp("", "sessioncache-demo-")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	srv := ststest.NewServer(func(o *ststest.Options) { o.RequireMFA = true })
	sso := newDemoSSO()
	restoreEnv := func() {}
	cleaned := false
	cleanup := func() error {
		if cleaned {
			return nil
		}
		cleaned = true
		restoreEnv()
		srv.Close()
		sso.Close()
		return os.RemoveAll(home)
	}
	defer func() {
		if cerr := cleanup(); cerr != nil && err == nil {
			err = fmt.Errorf("demo: remove %s: %w", home, cerr)
		}
	}()

	awsDir := filepath.Join(home, ".aws")
	cacheDir := filepath.Join(awsDir, "cli", "cache")
	if err := os.MkdirAll(awsDir, 0o700); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	configFile, credentialsFile := filepath.Join(awsDir, "config"), filepath.Join(awsDir, "credentials")
	if err := os.WriteFile(configFile, []byte(demoConfig+demoSSOConfig), 0o600); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := os.WriteFile(credentialsFile, []byte(demoCredentials), 0o600); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	env := sso.env()
	maps.Copy(env, map[string]string{
		"HOME":                        home,
		"AWS_CONFIG_FILE":             configFile,
		"AWS_SHARED_CREDENTIALS_FILE": credentialsFile,
		"AWS_ENDPOINT_URL":            srv.URL,
		"AWS_ENDPOINT_URL_STS":        srv.URL,
		"AWS_REGION":                  "us-east-1",
		"AWS_EC2_METADATA_DISABLED":   "true",
	})
	restoreEnv = setDemoEnv(env)
	tilde := func(path string) string {
		if rel, err := filepath.Rel(home, path); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(filepath.Join("~", rel))
		}
		return path
	}

	fmt.Fprintf(w, "%s\n\n", st.bold("sessioncache demo: a local STS that requires MFA, and a throwaway HOME"))
	fmt.Fprintf(w, "   %s\n", st.dim(tilde(configFile)+" (HOME is "+home+")"))
	fmt.Fprint(w, indent(demoConfig, "   │ "), "\n")

	// 1. A cache miss: prompt, then STS.
	fmt.Fprintf(w, "%s\n", st.bold("1. First use: nothing is cached, so STS is called, and the role wants an MFA code"))
	var prompting time.Duration
	asked, last := false, "" // whether a code was asked for, and the last one
	in := bufio.NewReader(g.stdin)
	tp := func(ctx context.Context, serial string) (string, error) {
		start := time.Now()
		defer func() { prompting += time.Since(start) }()
		switch {
		case g.mfaToken != "":
			fmt.Fprintf(w, "   Enter MFA code for %s: ****** (from --mfa-token)\n", serial)
			return g.mfaToken, nil
		case yes:
			fmt.Fprintf(w, "   Enter MFA code for %s: ****** (typed by --yes)\n", serial)
			return demoCode, nil
		}
		if !asked && !tty.Available() {
			// Only standard input can hold the code: no prompt until
			// it holds something.
			if _, err := in.Peek(1); err != nil {
				return "", &sessioncache.MFACodeUnavailableError{Serial: serial}
			}
		}
		// The library asks again for a mistyped or refused code.
		switch {
		case !asked:
			fmt.Fprintln(w, "   Type any six digits at the prompt:")
		case !sessioncache.ValidMFACode(last):
			fmt.Fprintln(w, "   That is not a 6-digit code. Try again.")
		default:
			fmt.Fprintln(w, "   STS did not accept that code. Try again.")
		}
		// The demo runs no other program: standard input is free to hold
		// the code.
		code, err := sessioncache.ChainTokenProviders(sessioncache.TerminalPrompt, sessioncache.LineTokenProvider(in, w))(ctx, serial)
		asked, last = true, strings.TrimSpace(code)
		return code, err
	}
	first := &sessioncache.Loader{CacheDir: cacheDir, TokenProvider: tp, Logger: g.logger()}
	missTime, keyID, err := timedRetrieve(ctx, first)
	if err != nil {
		var noCode *sessioncache.MFACodeUnavailableError
		if errors.As(err, &noCode) {
			return errors.New("demo: there is no terminal to type the MFA code in: run `sessioncache demo --yes` to have one typed for you")
		}
		return fmt.Errorf("demo: first use: %w", err)
	}
	missTime -= prompting
	fmt.Fprintf(w, "   got %s from STS in %s %s\n\n", keyID, st.bold(millis(missTime)), st.dim(fmt.Sprintf("(STS AssumeRole calls: %d)", srv.Calls("AssumeRole"))))

	// 2. The entry, in the AWS CLI's place and format.
	pes, err := first.ProfileEntries(ctx, config.WithSharedConfigProfile(demoProfile))
	if err != nil || len(pes) != 1 {
		return fmt.Errorf("demo: find the cache entry: %v", err)
	}
	cache := sessioncache.NewFileCache(cacheDir)
	entryFile := cache.Path(pes[0].Key)
	shown, err := showEntry(cache, pes[0].Key)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(w, "%s\n", st.bold("2. The session is saved where the AWS CLI and boto3 look for it, in their format"))
	fmt.Fprintf(w, "   %s %s\n", st.dim(tilde(entryFile)), st.dim("(secrets hidden here; the file is one line)"))
	fmt.Fprint(w, indent(shown, "   │ "), "\n")

	// 3. A cache hit: another program, no prompt, no STS call.
	fmt.Fprintf(w, "%s\n", st.bold("3. Second use, in a fresh Loader as another program would: no prompt, no STS call"))
	second := &sessioncache.Loader{
		CacheDir: cacheDir,
		Logger:   g.logger(),
		TokenProvider: func(context.Context, string) (string, error) {
			return "", errors.New("demo: a cache hit asked for an MFA code")
		},
	}
	hitTime, keyID, err := timedRetrieve(ctx, second)
	if err != nil {
		return fmt.Errorf("demo: second use: %w", err)
	}
	fmt.Fprintf(w, "   got %s %s in %s %s\n", keyID, st.green("from the cache"), st.bold(millis(hitTime)), st.dim(fmt.Sprintf("(STS AssumeRole calls: still %d)", srv.Calls("AssumeRole"))))
	fmt.Fprintf(w, "   STS round trip %s, cache hit %s%s\n\n", millis(missTime), millis(hitTime), faster(missTime, hitTime))

	// 4. What list shows.
	fmt.Fprintf(w, "%s\n", st.bold("4. sessioncache list"))
	var table bytes.Buffer
	lg := &globals{cacheDir: cacheDir, debug: g.debug, stderr: g.stderr}
	if err := runList(ctx, lg, false, &table); err != nil {
		return fmt.Errorf("demo: list: %w", err)
	}
	fmt.Fprint(w, indent(table.String(), "   "), "\n")

	if err := sso.run(ctx, g, w, st, cacheDir, tilde); err != nil {
		return err
	}
	if err := demoEKSAndConsole(ctx, g, w, st, srv, cacheDir); err != nil {
		return err
	}
	if err := demoLogin(ctx, w, st, tilde); err != nil {
		return err
	}

	if err := cleanup(); err != nil {
		return fmt.Errorf("demo: remove %s: %w", home, err)
	}
	fmt.Fprintf(w, "%s\n\n", st.green("Removed the temporary HOME and stopped the local STS: nothing is left behind."))
	fmt.Fprintf(w, "Use it with your own roles:\n")
	fmt.Fprintf(w, "   sessioncache exec -p my-role -- aws s3 ls\n")
	fmt.Fprintf(w, "   credential_process = sessioncache export --profile my-role   %s\n", st.dim("# in ~/.aws/config, for any SDK"))
	return nil
}

// timedRetrieve loads the demo profile with l and retrieves its
// credentials, as a program starting up would, and says how long it took
// and which (masked) access key it got.
func timedRetrieve(ctx context.Context, l *sessioncache.Loader) (time.Duration, string, error) {
	start := time.Now()
	cfg, err := l.LoadDefaultConfig(ctx, config.WithSharedConfigProfile(demoProfile))
	if err != nil {
		return 0, "", err
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return 0, "", err
	}
	return time.Since(start), maskKeyID(creds.AccessKeyID), nil
}

// maxShownEntry bounds the entry file the demo shows.
const maxShownEntry = 1 << 20

// showEntry returns the entry file of key, indented, with its secret key
// and session token hidden.
func showEntry(cache *sessioncache.FileCache, key string) (string, error) {
	e, err := cache.Get(key)
	if err != nil {
		return "", err
	}
	data, err := safefile.ReadFile(cache.Dir(), cache.Path(key), maxShownEntry)
	if err != nil {
		return "", err
	}
	text := strings.ReplaceAll(string(data), e.Credentials.SecretAccessKey, hidden(e.Credentials.SecretAccessKey))
	text = strings.ReplaceAll(text, e.Credentials.SessionToken, hidden(e.Credentials.SessionToken))
	var out bytes.Buffer
	if err := json.Indent(&out, []byte(text), "", "  "); err != nil {
		return "", err
	}
	return out.String() + "\n", nil
}

func hidden(secret string) string {
	return fmt.Sprintf("(hidden: %d characters)", len(secret))
}

// indent puts prefix before every line of s.
func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString(prefix + l)
		}
	}
	return b.String()
}

func millis(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%dµs", d.Microseconds())
	}
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}

func faster(slow, fast time.Duration) string {
	if fast <= 0 || slow <= fast {
		return ""
	}
	return fmt.Sprintf(": %.0f× faster, and no MFA code to type", float64(slow)/float64(fast))
}

// setDemoEnv points the SDK and the library at the demo's HOME and STS,
// with every other AWS_ and SESSIONCACHE_ variable unset, and returns a
// function that puts the environment back as it was.
func setDemoEnv(set map[string]string) (restore func()) {
	saved := make(map[string]string)
	touched := func(name string) bool {
		_, ok := set[name]
		return ok || strings.HasPrefix(name, "AWS_") || strings.HasPrefix(name, "SESSIONCACHE_")
	}
	if runtime.GOOS == "windows" {
		set["USERPROFILE"] = set["HOME"]
	}
	for _, kv := range os.Environ() {
		name, value, _ := strings.Cut(kv, "=")
		if name != "" && touched(name) {
			saved[name] = value
			os.Unsetenv(name)
		}
	}
	for k, v := range set {
		os.Setenv(k, v)
	}
	return func() {
		for _, kv := range os.Environ() {
			if name, _, _ := strings.Cut(kv, "="); name != "" && touched(name) {
				os.Unsetenv(name)
			}
		}
		for k, v := range saved {
			os.Setenv(k, v)
		}
	}
}

// style colours text for a terminal, and only for one: not when output is
// redirected, nor when NO_COLOR is set.
type style struct{ on bool }

func newStyle(w io.Writer) style {
	f, ok := w.(*os.File)
	return style{on: ok && tty.IsTerminal(f) && os.Getenv("NO_COLOR") == ""}
}

func (s style) wrap(code, text string) string {
	if !s.on {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func (s style) bold(text string) string  { return s.wrap("1", text) }
func (s style) dim(text string) string   { return s.wrap("2", text) }
func (s style) green(text string) string { return s.wrap("32", text) }
