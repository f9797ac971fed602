//go:build unix

package cli

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sessioncache/sessioncache/internal/loginsession"
)

// serve -p on an aws login profile hands out the session's credentials,
// which last 15 minutes at most: as they are while more than five minutes
// are left, with no call to the sign-in service, and refreshed once
// otherwise.
func TestLoginSessionServe(t *testing.T) {
	tests := map[string]struct {
		left        time.Duration
		wantRefresh bool
	}{
		"fifteen minutes left": {left: 15 * time.Minute},
		"four minutes left":    {left: 4 * time.Minute, wantRefresh: true},
	}
	bin := buildBinary(t)
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv, _, home := loginCLIWorld(t, "[profile dev]\nlogin_session = "+cliLoginARN+"\nregion = eu-west-1\n")
			data, err := srv.SignIn(tt.left)
			if err != nil {
				t.Fatal(err)
			}
			path := loginsession.Path(filepath.Join(home, ".aws", "login", "cache"), cliLoginARN)
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			vars := startServe(t, bin, os.Environ(), "-p", "dev")
			env := map[string]string{}
			for _, v := range vars {
				k, val, _ := strings.Cut(v, "=")
				env[k] = val
			}
			req, err := http.NewRequest(http.MethodGet, env["AWS_CONTAINER_CREDENTIALS_FULL_URI"], nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", env["AWS_CONTAINER_AUTHORIZATION_TOKEN"])
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got struct {
				AccessKeyID string `json:"AccessKeyId"`
				Expiration  time.Time
			}
			if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&got) != nil {
				t.Fatalf("the server answered %s", resp.Status)
			}
			file, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := loginsession.Parse(file)
			if err != nil {
				t.Fatal(err)
			}
			if got.AccessKeyID != tok.AccessKeyID || !got.Expiration.Equal(tok.ExpiresAt) {
				t.Errorf("served %s expiring %v; the token file holds %s expiring %v", got.AccessKeyID, got.Expiration, tok.AccessKeyID, tok.ExpiresAt)
			}
			want := 0
			if tt.wantRefresh {
				want = 1
			}
			if n := srv.Calls("CreateOAuth2Token"); n != want {
				t.Errorf("%d calls to the sign-in service, want %d", n, want)
			}
			if tt.wantRefresh && time.Until(got.Expiration) < 10*time.Minute {
				t.Errorf("served credentials expire at %v, not refreshed", got.Expiration)
			}
		})
	}
}
