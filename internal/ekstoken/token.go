// Package ekstoken makes the bearer tokens Amazon EKS clusters accept, as
// `aws eks get-token` and aws-iam-authenticator make them: a presigned STS
// GetCallerIdentity URL that names the cluster in a signed header, which
// the cluster's authenticator calls to learn who the bearer is.
package ekstoken

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

const (
	// Prefix starts every token.
	Prefix = "k8s-aws-v1."
	// ClusterHeader is the signed header that names the cluster, so that a
	// token made for one cluster is refused by another.
	ClusterHeader = "x-k8s-aws-id"
	// URLExpiry is the X-Amz-Expires of the presigned URL, the AWS CLI's.
	// STS honours a presigned URL for 15 minutes from its X-Amz-Date
	// whatever it says; without it the SDK would write 900.
	URLExpiry = 60 * time.Second
	// Lifetime is how long after signing the token is reported to expire:
	// a minute short of STS's 15, so that kubectl asks for a new one in
	// time.
	Lifetime = 14 * time.Minute
	// DefaultRegion signs tokens when no region is configured, as the AWS
	// CLI does.
	DefaultRegion = "us-east-1"
)

// Token is a signed EKS bearer token.
type Token struct {
	// Value is "k8s-aws-v1." and the unpadded URL-safe base64 of the
	// presigned URL. It is a secret for as long as it is valid.
	Value string
	// Expiration is the signing time plus Lifetime, in UTC.
	Expiration time.Time
}

// Options configure New.
type Options struct {
	// Now is the signing clock. Default: time.Now.
	Now func() time.Time
	// ClientOptions adjust the STS client the URL is presigned with.
	// Default: none.
	ClientOptions []func(*sts.Options)
}

// New signs a token for cluster with cfg's credentials, region and STS
// endpoint (cfg.BaseEndpoint, or AWS_ENDPOINT_URL_STS when cfg was loaded
// by the config package). Retrieving the credentials is the only call it
// makes.
func New(ctx context.Context, cfg aws.Config, cluster string, optFns ...func(*Options)) (Token, error) {
	if cluster == "" {
		return Token{}, errors.New("ekstoken: no cluster name")
	}
	o := Options{Now: time.Now}
	for _, fn := range optFns {
		fn(&o)
	}
	if cfg.Credentials == nil {
		return Token{}, errors.New("ekstoken: no credentials to sign the token with")
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	signedAt := o.Now().UTC().Truncate(time.Second)
	client := sts.NewFromConfig(cfg, o.ClientOptions...)
	presigner := sts.NewPresignClient(client, func(po *sts.PresignOptions) {
		po.Presigner = clockedSigner{signer: v4.NewSigner(), at: signedAt}
		po.ClientOptions = append(po.ClientOptions, func(so *sts.Options) {
			so.APIOptions = append(so.APIOptions,
				smithyhttp.SetHeaderValue(ClusterHeader, cluster),
				// Hoisted into the query by the signer.
				smithyhttp.SetHeaderValue("X-Amz-Expires", fmt.Sprint(int(URLExpiry/time.Second))),
			)
		})
	})
	req, err := presigner.PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Token{}, fmt.Errorf("ekstoken: sign the token: %w", err)
	}
	return Token{
		Value:      Prefix + base64.RawURLEncoding.EncodeToString([]byte(req.URL)),
		Expiration: signedAt.Add(Lifetime),
	}, nil
}

// clockedSigner presigns at a fixed time, so that the URL's X-Amz-Date and
// the token's expiry come from one clock.
type clockedSigner struct {
	signer *v4.Signer
	at     time.Time
}

func (s clockedSigner) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return s.signer.PresignHTTP(ctx, creds, r, payloadHash, service, region, s.at, optFns...)
}
