package console

import (
	"context"
	"fmt"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// GetFederationTokenAPIClient is the part of the STS client that
// FederationToken uses.
type GetFederationTokenAPIClient interface {
	GetFederationToken(ctx context.Context, params *sts.GetFederationTokenInput, optFns ...func(*sts.Options)) (*sts.GetFederationTokenOutput, error)
}

// passThroughPolicy lets the federated user do all the IAM user may: a
// federation session has the intersection of the user's permissions and
// this policy, and with no policy at all it has none.
const passThroughPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

var nameChars = regexp.MustCompile(`[^\w+=,.@-]`)

// FederatedUserName makes a GetFederationToken Name of name: the
// characters STS takes, 2 to 32 of them, else "sessioncache".
func FederatedUserName(name string) string {
	name = nameChars.ReplaceAllString(name, "-")
	if len(name) > 32 {
		name = name[:32]
	}
	if len(name) < 2 {
		return Issuer
	}
	return name
}

// FederationToken turns an IAM user's long-term keys, which cannot sign in
// to the console, into a federation session named name (see
// FederatedUserName) with the user's permissions.
func FederationToken(ctx context.Context, client GetFederationTokenAPIClient, name string) (aws.Credentials, error) {
	out, err := client.GetFederationToken(ctx, &sts.GetFederationTokenInput{
		Name:   aws.String(FederatedUserName(name)),
		Policy: aws.String(passThroughPolicy),
	})
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("console: get a federation session for the long-term keys: %w", err)
	}
	c := out.Credentials
	if c == nil {
		return aws.Credentials{}, fmt.Errorf("console: GetFederationToken answered no credentials")
	}
	return aws.Credentials{
		AccessKeyID:     aws.ToString(c.AccessKeyId),
		SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken:    aws.ToString(c.SessionToken),
		CanExpire:       true,
		Expires:         aws.ToTime(c.Expiration),
		Source:          "GetFederationToken",
	}, nil
}
