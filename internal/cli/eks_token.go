package cli

import (
	"context"
	"io"
	"os"

	"github.com/sessioncache/sessioncache/internal/ekstoken"
	"github.com/spf13/cobra"
)

// eksRoleSessionName is the session name `aws eks get-token --role-arn`
// gives the role, and so part of the role's cache key.
const eksRoleSessionName = "EKSGetTokenAuth"

type eksTokenFlags struct {
	cluster, clusterID, region, roleARN string
}

func newEKSTokenCommand(g *globals) *cobra.Command {
	var f eksTokenFlags
	cmd := &cobra.Command{
		Use:   "eks-token --cluster-name NAME [-p PROFILE] [--region R] [--role-arn ARN]",
		Short: "Print an Amazon EKS token for kubectl, as 'aws eks get-token'",
		Long: `Eks-token prints the ExecCredential that 'aws eks get-token' prints: a
token for the cluster, signed with the profile's credentials from the
shared cache, so kubectl runs it for every command without a prompt and
without calling STS while the session lasts. The MFA code, when the
session must be renewed, comes from --mfa-token, the profile's
mfa_process, the terminal or a desktop dialog.

--role-arn signs with that role instead, assumed from the profile's
credentials (session name EKSGetTokenAuth) and kept in the cache as the
AWS CLI keeps a profile's role. --region defaults to the profile's.

In ~/.kube/config:

  users:
  - name: prod
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1beta1
        command: sessioncache
        args: [eks-token, --cluster-name, prod, --profile, admin]
        interactiveMode: IfAvailable`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runEKSToken(cmd.Context(), g, f, cmd.OutOrStdout())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.cluster, "cluster-name", "", "`name` of the cluster")
	fl.StringVar(&f.clusterID, "cluster-id", "", "`id` of the cluster (local clusters on AWS Outposts)")
	fl.StringVar(&f.region, "region", "", "`region` whose STS signs the token (default: the profile's, else us-east-1)")
	fl.StringVar(&f.roleARN, "role-arn", "", "`ARN` of a role to assume and sign with")
	return cmd
}

func runEKSToken(ctx context.Context, g *globals, f eksTokenFlags, stdout io.Writer) error {
	cluster := f.cluster
	switch {
	case f.cluster != "" && f.clusterID != "":
		return usageErrorf("--cluster-name and --cluster-id name the same thing: pass one")
	case f.cluster == "" && f.clusterID == "":
		return usageErrorf("eks-token needs --cluster-name (or --cluster-id for a local cluster on AWS Outposts)")
	case f.clusterID != "":
		cluster = f.clusterID
	}
	apiVersion, warning := ekstoken.APIVersion(os.Getenv("KUBERNETES_EXEC_INFO"))
	if warning != "" {
		g.logger().Warn(warning)
	}
	cfg, err := g.signingConfig(ctx, f.region, f.roleARN, eksRoleSessionName)
	if err != nil {
		return err
	}
	tok, err := ekstoken.New(ctx, cfg, cluster)
	if err != nil {
		return err
	}
	g.logger().Debug("signed an EKS token", "cluster", cluster, "region", cfg.Region, "expires", tok.Expiration, "api_version", apiVersion)
	_, err = stdout.Write(ekstoken.ExecCredential(apiVersion, tok))
	return err
}
