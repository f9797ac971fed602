package sessioncache

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
)

// logCalls returns the API option that logs, at debug level, each call a
// client makes to STS or the SSO portal, retries included: the operation
// and what it is about (the role, the MFA device, the account), never a
// code, token or key.
func logCalls(logger *slog.Logger) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("sessioncache.LogCall",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if logger.Enabled(ctx, slog.LevelDebug) {
					logger.Debug("calling "+middleware.GetServiceID(ctx), append([]any{"operation", middleware.GetOperationName(ctx)}, callAttrs(in.Parameters)...)...)
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	}
}

// callAttrs are the attributes of a call's input that say what it is
// about; the secrets it carries (TokenCode, WebIdentityToken,
// AccessToken) are left out.
func callAttrs(params any) []any {
	switch in := params.(type) {
	case *sts.AssumeRoleInput:
		attrs := []any{"role_arn", aws.ToString(in.RoleArn), "role_session_name", aws.ToString(in.RoleSessionName)}
		if in.SerialNumber != nil {
			attrs = append(attrs, "mfa_serial", aws.ToString(in.SerialNumber))
		}
		return attrs
	case *sts.AssumeRoleWithWebIdentityInput:
		return []any{"role_arn", aws.ToString(in.RoleArn), "role_session_name", aws.ToString(in.RoleSessionName)}
	case *sts.GetSessionTokenInput:
		return []any{"mfa_serial", aws.ToString(in.SerialNumber)}
	case *sso.GetRoleCredentialsInput:
		return []any{"account", aws.ToString(in.AccountId), "role_name", aws.ToString(in.RoleName)}
	}
	return nil
}
