package sessioncache

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sessioncache/sessioncache/internal/tty"
	"github.com/sessioncache/sessioncache/ststest"
)

// The source credentials tests sign STS calls with. ststest takes any key
// it did not issue for an IAM user's.
const (
	sourceKeyID  = "AKIASOURCEEXAMPLE001"
	sourceSecret = "source-secret-not-real"
	sourceToken  = "source-token-not-real"

	testRoleARN = "arn:aws:iam::123456789012:role/admin"
	testSerial  = "arn:aws:iam::123456789012:mfa/alice"
	// testCode is the code ststest accepts when a test sets it; its digits
	// appear nowhere else (not in the account id), so a leak is visible.
	testCode = "908172"
)

// newSTSClient returns an STS client for srvURL that signs with the source
// credentials and retries at once, so that retry tests take no time.
func newSTSClient(srvURL string, httpClient aws.HTTPClient) *sts.Client {
	return sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srvURL),
		Credentials:  credentials.NewStaticCredentialsProvider(sourceKeyID, sourceSecret, sourceToken),
		HTTPClient:   httpClient,
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			o.RateLimiter = ratelimit.None
		}),
	})
}

// fixedCode is a TokenProvider that counts the codes it gives.
type fixedCode struct {
	code  string
	asked atomic.Int32
}

func (c *fixedCode) provide(context.Context, string) (string, error) {
	c.asked.Add(1)
	return c.code, nil
}

// flakyHTTP fails the first n requests with a connection error before
// they reach the server, as a dropped connection would.
type flakyHTTP struct {
	n        int32
	attempts atomic.Int32
}

func (f *flakyHTTP) Do(req *http.Request) (*http.Response, error) {
	if f.attempts.Add(1) <= f.n {
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	}
	return http.DefaultClient.Do(req)
}

func TestCallWithMFACodeIsNeverRetried(t *testing.T) {
	tests := map[string]struct {
		fail func(srv *ststest.Server) // makes the first attempt fail
		// flaky drops the first connection instead.
		flaky bool
	}{
		"throttling": {fail: func(srv *ststest.Server) {
			srv.FailNext(1, "Throttling", "Rate exceeded", http.StatusBadRequest)
		}},
		"server error": {fail: func(srv *ststest.Server) {
			srv.FailNext(1, "InternalFailure", "An internal error occurred", http.StatusInternalServerError)
		}},
		"connection reset": {flaky: true},
	}
	for name, tt := range tests {
		for _, withMFA := range []bool{true, false} {
			t.Run(name+map[bool]string{true: " with MFA", false: " without MFA"}[withMFA], func(t *testing.T) {
				srv := ststest.NewServer()
				defer srv.Close()
				var httpClient aws.HTTPClient
				flaky := &flakyHTTP{n: 1}
				if tt.flaky {
					httpClient = flaky
				}
				if tt.fail != nil {
					tt.fail(srv)
				}
				tokens := &fixedCode{code: testCode}
				f := NewAssumeRoleFetcher(newSTSClient(srv.URL, httpClient), testRoleARN, func(o *AssumeRoleOptions) {
					if withMFA {
						o.SerialNumber = testSerial
						o.TokenProvider = tokens.provide
					}
				})
				_, err := f.Fetch(context.Background())
				attempts := srv.Calls("AssumeRole")
				if tt.flaky {
					attempts = int(flaky.attempts.Load())
				}
				if withMFA {
					if err == nil {
						t.Fatal("Fetch succeeded: the request with the code was sent again")
					}
					if attempts != 1 {
						t.Errorf("%d attempts carried the one-time code, want 1", attempts)
					}
					if n := tokens.asked.Load(); n != 1 {
						t.Errorf("asked for %d codes, want 1 (a custom TokenProvider is asked once)", n)
					}
					return
				}
				if err != nil {
					t.Fatalf("Fetch without MFA failed, the SDK should have retried: %v", err)
				}
				if attempts < 2 {
					t.Errorf("%d attempts without MFA, want the SDK's retries (2 or more)", attempts)
				}
			})
		}
	}
}

func TestMFACodeOfWrongFormatIsNotSent(t *testing.T) {
	tests := map[string]string{
		"five digits":    "12345",
		"seven digits":   "1234567",
		"letters":        "12a456",
		"empty":          "",
		"spaces":         "123 56",
		"unicode digits": "١٢٣٤٥٦",
	}
	for name, code := range tests {
		t.Run(name, func(t *testing.T) {
			srv := ststest.NewServer(func(o *ststest.Options) { o.RequireMFA = true })
			defer srv.Close()
			tokens := &fixedCode{code: code}
			f := NewAssumeRoleFetcher(newSTSClient(srv.URL, nil), testRoleARN, func(o *AssumeRoleOptions) {
				o.SerialNumber = testSerial
				o.TokenProvider = tokens.provide
			})
			_, err := f.Fetch(context.Background())
			var invalid *InvalidMFACodeError
			if !errors.As(err, &invalid) {
				t.Fatalf("Fetch error = %v, want *InvalidMFACodeError", err)
			}
			if invalid.Serial != testSerial {
				t.Errorf("Serial = %q, want %q", invalid.Serial, testSerial)
			}
			if n := srv.Calls("AssumeRole"); n != 0 {
				t.Errorf("%d STS calls, want 0", n)
			}
		})
	}
}

// noTerminal points the prompt at a terminal that does not exist and at
// the given standard input, and captures what it writes to standard
// error.
func noTerminal(t *testing.T, stdin string) (stderr func() string) {
	t.Helper()
	oldTTY, oldIn, oldErr := tty.Path, os.Stdin, os.Stderr
	// Nor a desktop to show a dialog on.
	t.Setenv(EnvNoDialog, "1")
	dir := t.TempDir()
	tty.Path = filepath.Join(dir, "no-tty")
	in := filepath.Join(dir, "stdin")
	if err := os.WriteFile(in, []byte(stdin), 0o600); err != nil {
		t.Fatal(err)
	}
	inFile, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	errFile, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	os.Stdin, os.Stderr = inFile, errFile
	t.Cleanup(func() {
		tty.Path, os.Stdin, os.Stderr = oldTTY, oldIn, oldErr
		inFile.Close()
		errFile.Close()
	})
	return func() string {
		b, err := os.ReadFile(errFile.Name())
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
}

func TestNoTerminalAndNoStdinFailsAtOnce(t *testing.T) {
	tests := map[string]struct {
		profile  string
		wantHint string
	}{
		"without a profile": {},
		"with a profile":    {profile: "admin", wantHint: "aws sts get-caller-identity --profile admin"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			// A code on standard input is not read: it may be a child's.
			noTerminal(t, testCode+"\n")
			srv := ststest.NewServer(func(o *ststest.Options) { o.RequireMFA = true })
			defer srv.Close()
			f := NewAssumeRoleFetcher(newSTSClient(srv.URL, nil), testRoleARN, func(o *AssumeRoleOptions) {
				o.SerialNumber = testSerial
				o.Profile = tt.profile
			})
			start := time.Now()
			p := newTestProvider(f, newTestCache(t, nil), nil)
			_, err := p.Retrieve(context.Background())
			var unavailable *MFACodeUnavailableError
			if !errors.As(err, &unavailable) {
				t.Fatalf("Retrieve error = %v, want *MFACodeUnavailableError", err)
			}
			if unavailable.Serial != testSerial {
				t.Errorf("Serial = %q, want %q", unavailable.Serial, testSerial)
			}
			if !strings.Contains(err.Error(), tt.wantHint) {
				t.Errorf("error %q lacks %q", err, tt.wantHint)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
			if n := srv.Calls("AssumeRole"); n != 0 {
				t.Errorf("%d STS calls, want 0", n)
			}
		})
	}
}

func TestCodeFromLineTokenProvider(t *testing.T) {
	tests := map[string]struct {
		stdin       string
		serverMFA   string
		wantErr     string
		wantCalls   int
		wantPrompts int
	}{
		"accepted code":                {stdin: testCode + "\n", wantCalls: 1, wantPrompts: 1},
		"code without a newline":       {stdin: testCode, wantCalls: 1, wantPrompts: 1},
		"code with surrounding spaces": {stdin: "  " + testCode + " \r\n", wantCalls: 1, wantPrompts: 1},
		"rejected, then accepted":      {stdin: "111111\n" + testCode + "\n", serverMFA: testCode, wantCalls: 2, wantPrompts: 2},
		// The refusal, not the end of input, is what the user must know.
		"rejected, then nothing more":  {stdin: "111111\n", serverMFA: testCode, wantErr: "STS refused the MFA code", wantCalls: 1, wantPrompts: 2},
		"three rejected is final":      {stdin: "111111\n222222\n333333\n444444\n", serverMFA: testCode, wantErr: "STS refused the MFA code", wantCalls: 3, wantPrompts: 3},
		"a refused code is not resent": {stdin: "111111\n111111\n" + testCode + "\n", serverMFA: testCode, wantErr: "STS refused the MFA code", wantCalls: 1, wantPrompts: 2},
		"not six digits":               {stdin: "12345\n", wantErr: "must be 6 digits", wantCalls: 0, wantPrompts: 2},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			noTerminal(t, "")
			srv := ststest.NewServer(func(o *ststest.Options) {
				o.RequireMFA = true
				o.MFACode = tt.serverMFA
			})
			defer srv.Close()
			var stderr strings.Builder
			f := NewAssumeRoleFetcher(newSTSClient(srv.URL, nil), testRoleARN, func(o *AssumeRoleOptions) {
				o.SerialNumber = testSerial
				o.TokenProvider = LineTokenProvider(strings.NewReader(tt.stdin), &stderr)
			})
			_, err := f.Fetch(context.Background())
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Fetch: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Fetch error = %v, want one containing %q", err, tt.wantErr)
			}
			if n := srv.Calls("AssumeRole"); n != tt.wantCalls {
				t.Errorf("%d STS calls, want %d", n, tt.wantCalls)
			}
			if got, want := stderr.String(), "Enter MFA code for "+testSerial+": "; strings.Count(got, want) != tt.wantPrompts {
				t.Errorf("standard error = %q, want the prompt %q %d times", got, want, tt.wantPrompts)
			}
			sent := map[string]bool{}
			for _, r := range srv.Requests() {
				code := r.Params.Get("TokenCode")
				if sent[code] {
					t.Error("a code was sent twice")
				}
				sent[code] = true
			}
		})
	}
}

func TestSTSErrorsExplainWhatToDo(t *testing.T) {
	tests := map[string]struct {
		code, message string
		status        int
		mfa           bool
		want          string
	}{
		"expired source credentials": {
			code: "ExpiredToken", message: "The security token included in the request is expired", status: 403,
			want: "have expired: stale AWS_* environment variables or an old source profile session",
		},
		"refused source keys": {
			code: "InvalidClientTokenId", message: "The security token included in the request is invalid.", status: 403,
			want: "check the keys of the source profile of admin",
		},
		"wrong MFA device": {
			code: "AccessDenied", status: 403, mfa: true,
			message: "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.",
			want:    `check that mfa_serial "` + testSerial + `" is the ARN of your MFA device`,
		},
		"rejected code": {
			code: "AccessDenied", status: 403, mfa: true,
			message: "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
			want:    "wait for the next code and try again",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv := ststest.NewServer()
			defer srv.Close()
			srv.FailNext(1, tt.code, tt.message, tt.status)
			tokens := &fixedCode{code: testCode}
			f := NewAssumeRoleFetcher(newSTSClient(srv.URL, nil), testRoleARN, func(o *AssumeRoleOptions) {
				o.Profile = "admin"
				if tt.mfa {
					o.SerialNumber = testSerial
					o.TokenProvider = tokens.provide
				}
			})
			_, err := f.Fetch(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Fetch error = %v, want one containing %q", err, tt.want)
			}
			if n := srv.Calls("AssumeRole"); n != 1 {
				t.Errorf("%d STS calls, want 1", n)
			}
			// A refused code is asked for again; the same code is not resent.
			wantAsked := int32(1)
			if tt.want == "wait for the next code and try again" {
				wantAsked = 2
				// One line that says what to do, not STS's response.
				var refused *MFACodeRefusedError
				if !errors.As(err, &refused) || strings.Contains(err.Error(), "StatusCode") || strings.Contains(err.Error(), "RequestID") {
					t.Errorf("error %q, want an *MFACodeRefusedError without STS's status and request id", err)
				}
			}
			if tt.mfa && tokens.asked.Load() != wantAsked {
				t.Errorf("asked for %d codes, want %d", tokens.asked.Load(), wantAsked)
			}
		})
	}
}

func TestAssumeRoleFetchMakesEntry(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	srv := ststest.NewServer(func(o *ststest.Options) {
		o.RequireMFA = true
		o.MFACode = testCode
		o.Now = func() time.Time { return now }
	})
	defer srv.Close()
	tokens := &fixedCode{code: testCode}
	f := NewAssumeRoleFetcher(newSTSClient(srv.URL, nil), testRoleARN, func(o *AssumeRoleOptions) {
		o.SerialNumber = testSerial
		o.TokenProvider = tokens.provide
		o.Duration = 2 * time.Hour
		o.RoleSessionName = "alice"
	})
	e, err := f.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.Credentials.AccessKeyID, "ASIA") || e.Credentials.SecretAccessKey == "" || e.Credentials.SessionToken == "" {
		t.Errorf("incomplete credentials, access key id %q", e.Credentials.AccessKeyID)
	}
	if want := now.Add(2 * time.Hour); !e.Credentials.Expiration.Equal(want) {
		t.Errorf("Expiration = %v, want %v", e.Credentials.Expiration, want)
	}
	if e.Credentials.AccountID != "123456789012" || e.AssumedRoleUser == nil || !strings.HasSuffix(e.AssumedRoleUser.ARN, "assumed-role/admin/alice") {
		t.Errorf("AccountID = %q, AssumedRoleUser = %+v", e.Credentials.AccountID, e.AssumedRoleUser)
	}
	if e.RequestID == "" {
		t.Error("no request id")
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	p := reqs[0].Params
	for k, want := range map[string]string{"SerialNumber": testSerial, "DurationSeconds": "7200", "RoleSessionName": "alice", "RoleArn": testRoleARN} {
		if got := p.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if p.Get("TokenCode") != testCode {
		t.Error("the request did not carry the code given")
	}
}
