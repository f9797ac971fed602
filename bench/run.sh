#!/usr/bin/env bash
# Measures `sessioncache export` against botocore reading the same AWS CLI
# cache entry, `sessioncache eks-token` against `aws eks get-token` on the
# same entry, `sessioncache status` as a shell prompt runs it, a 50-process
# stampede on a cold cache, `list` over a large cache, and `export`, `list`
# and `clear --expired` with a config of 2,000 profiles, as large SSO
# organisations generate. Everything runs under a temporary HOME against a local STS
# on 127.0.0.1; the real ~/.aws is never read, and whatever the script
# starts is stopped when it exits.
#
# Usage: bench/run.sh    (N, STAMPEDE, ENTRIES and PROFILES override the sizes)
set -euo pipefail

N=${N:-20}               # runs of each contender, alternating
STAMPEDE=${STAMPEDE:-50} # processes started together on a cold cache
ENTRIES=${ENTRIES:-10000}
PROFILES=${PROFILES:-2000}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sessioncache-bench.XXXXXX")
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do
		if kill "$p" 2>/dev/null; then
			wait "$p" 2>/dev/null || true
		fi
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------

if [[ ! -x /usr/bin/time ]]; then
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
		say "installing GNU time"
		apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq time >/dev/null; }
	else
		say "bench: /usr/bin/time (GNU time) is needed for peak RSS: apt-get install time"
		exit 1
	fi
fi
# The interpreter itself, not a version manager's shim that would add its
# own start-up to every run.
python=$(python3 -c 'import botocore, sys; print(sys.executable)' 2>/dev/null || true)

mkdir -p "$work/bin"
have_cli=0
if [[ -d $root/cmd/sessioncache ]]; then
	# A static binary, as releases are built: with cgo the dynamic loader
	# and libc add about 2 MB to every process.
	(cd "$root" && CGO_ENABLED=0 go build -o "$work/bin/sessioncache" ./cmd/sessioncache)
	have_cli=1
else
	say "bench: ./cmd/sessioncache does not exist yet: its rows are skipped"
fi
(cd "$root" && go build -o "$work/bin/stsd" ./bench/stsd)
mkdir -p "$work/hello"
cat >"$work/hello/main.go" <<'EOF'
package main

import "fmt"

func main() { fmt.Println("hello, world") }
EOF
(cd "$work/hello" && printf 'module hello\n\ngo 1.22\n' >go.mod && CGO_ENABLED=0 go build -o "$work/bin/hello" .)

# --- a HOME with an MFA role profile and a warm cache entry --------------

home=$work/home
role_arn=arn:aws:iam::123456789012:role/admin
mfa_serial=arn:aws:iam::123456789012:mfa/alice
# The AWS CLI's key for exactly this role_arn and mfa_serial.
key=c08bbcd61d2960e17757c33319b79219a44dea4e
mkdir -p "$home/.aws/cli/cache"
chmod 700 "$home/.aws" "$home/.aws/cli" "$home/.aws/cli/cache"
cat >"$home/.aws/config" <<EOF
[profile src]
region = us-east-1

[profile admin]
role_arn = $role_arn
source_profile = src
mfa_serial = $mfa_serial
region = us-east-1
EOF
cat >"$home/.aws/credentials" <<'EOF'
[src]
aws_access_key_id = AKIABENCHSOURCE00001
aws_secret_access_key = bench-source-secret-not-real
EOF
warm_entry() {
	cat <<'EOF'
{"Credentials": {"AccessKeyId": "ASIABENCHWARM0000001", "SecretAccessKey": "bench-secret-not-real", "SessionToken": "bench-token-not-real", "Expiration": "2099-01-01T00:00:00Z", "AccountId": "123456789012"}, "AssumedRoleUser": {"AssumedRoleId": "AROABENCH:bench", "Arn": "arn:aws:sts::123456789012:assumed-role/admin/bench"}, "ResponseMetadata": {"RequestId": "bench", "HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0}}
EOF
}
warm_entry >"$home/.aws/cli/cache/$key.json"
chmod 600 "$home/.aws/cli/cache/$key.json"

# Port 9 on loopback is closed: a cache miss fails fast instead of
# reaching AWS.
run_env=(env -i "HOME=$home" "PATH=$PATH" "AWS_ENDPOINT_URL=http://127.0.0.1:9" "AWS_EC2_METADATA_DISABLED=true")

cat >"$work/botocore_export.py" <<'EOF'
# Prints a profile's credentials as credential_process JSON, with the
# assume-role provider reading the AWS CLI's cache as the CLI wires it.
import json
import os
import sys

import botocore.session
from botocore.credentials import JSONFileCache

session = botocore.session.Session(profile=sys.argv[1])
provider = session.get_component("credential_provider").get_provider("assume-role")
# As awscli/customizations/assumerole.py does; JSONFileCache() alone would
# use botocore's own ~/.aws/boto/cache.
provider.cache = JSONFileCache(os.path.expanduser(os.path.join("~", ".aws", "cli", "cache")))
creds = session.get_credentials().get_frozen_credentials()
print(json.dumps({"Version": 1, "AccessKeyId": creds.access_key,
                  "SecretAccessKey": creds.secret_key, "SessionToken": creds.token}))
EOF

# --- helpers -------------------------------------------------------------

# timed NAME CMD...: runs CMD once and appends "wall user+sys kilobytes"
# to $work/NAME.txt; user+sys is what the run costs whatever else the
# machine does.
timed() {
	local name=$1
	shift
	local start end
	start=$EPOCHREALTIME
	/usr/bin/time -f '%U %S %M' -o "$work/rss" "$@" >"$work/out" 2>"$work/err" || {
		say "bench: $name failed:"
		cat "$work/err" >&2
		exit 1
	}
	end=$EPOCHREALTIME
	echo "$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.6f", e - s }') $(tail -n 1 "$work/rss" | awk '{ printf "%.3f %s", $1 + $2, $3 }')" >>"$work/$name.txt"
}

# measure NAME CMD...: timed, and checks that CMD printed $expect (the warm
# entry's key unless set).
expect=ASIABENCHWARM0000001
measure() {
	timed "$@"
	grep -q "$expect" "$work/out" || {
		say "bench: $1 did not print $expect"
		exit 1
	}
}

# median FILE COLUMN
median() {
	sort -g -k "$2,$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ms() { awk -v s="$1" 'BEGIN { printf "%.1f ms", s * 1000 }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }

rows=()
row() { rows+=("$(printf '%-44s %14s %12s' "$1" "$2" "$3")"); }

# --- warm cache: sessioncache vs botocore, alternating -------------------

say "warm cache: $N runs each, alternating"
for ((i = 0; i < N; i++)); do
	if ((have_cli)); then
		measure cli "${run_env[@]}" "$work/bin/sessioncache" export --format process --profile admin
	fi
	if ((have_cli)); then
		# What a shell prompt runs: the time left of the warm entry.
		expect='^[0-9][0-9]*[dhms]'
		measure status "${run_env[@]}" "$work/bin/sessioncache" status --profile admin
		expect=ASIABENCHWARM0000001
	fi
	if [[ -n $python ]]; then
		measure botocore "${run_env[@]}" "$python" "$work/botocore_export.py" admin
	fi
	timed hello "${run_env[@]}" "$work/bin/hello"
done
if ((have_cli)); then
	row "sessioncache export --format process" "$(ms "$(median "$work/cli.txt" 1)")" "$(mb "$(median "$work/cli.txt" 3)")"
fi
if ((have_cli)); then
	row "sessioncache status (for a shell prompt)" "$(ms "$(median "$work/status.txt" 1)")" "$(mb "$(median "$work/status.txt" 3)")"
fi
if [[ -n $python ]]; then
	row "botocore + JSONFileCache (python3)" "$(ms "$(median "$work/botocore.txt" 1)")" "$(mb "$(median "$work/botocore.txt" 3)")"
else
	say "bench: python3 with botocore not found: its row is skipped"
fi
if ((have_cli)) && [[ -n $python ]]; then
	row "  botocore / sessioncache" \
		"$(awk -v a="$(median "$work/botocore.txt" 1)" -v b="$(median "$work/cli.txt" 1)" 'BEGIN { printf "%.1fx", a / b }')" \
		"$(awk -v a="$(median "$work/botocore.txt" 3)" -v b="$(median "$work/cli.txt" 3)" 'BEGIN { printf "%.1fx", a / b }')"
fi
row "hello-world Go binary (the floor)" "$(ms "$(median "$work/hello.txt" 1)")" "$(mb "$(median "$work/hello.txt" 3)")"

# --- EKS tokens: aws eks get-token vs eks-token, warm, alternating --------

# Both sign offline from the same cached role session; kubectl runs one of
# them for every command. The AWS CLI runs under its interpreter, not a
# version manager's shim.
have_awscli=0
if [[ -n $python ]] && "$python" -c 'import awscli' 2>/dev/null; then
	have_awscli=1
fi
if ((have_cli && have_awscli)); then
	say "EKS tokens: $N runs each, alternating"
	expect='k8s-aws-v1\.'
	for ((i = 0; i < N; i++)); do
		measure eks-cli "${run_env[@]}" "$python" -m awscli eks get-token --cluster-name prod --profile admin
		measure eks-sc "${run_env[@]}" "$work/bin/sessioncache" eks-token --cluster-name prod --profile admin
	done
	expect=ASIABENCHWARM0000001
	row "sessioncache eks-token" "$(ms "$(median "$work/eks-sc.txt" 1)")" "$(mb "$(median "$work/eks-sc.txt" 3)")"
	row "aws eks get-token (AWS CLI v1)" "$(ms "$(median "$work/eks-cli.txt" 1)")" "$(mb "$(median "$work/eks-cli.txt" 3)")"
	speedup=$(awk -v a="$(median "$work/eks-cli.txt" 1)" -v b="$(median "$work/eks-sc.txt" 1)" 'BEGIN { printf "%.1f", a / b }')
	row "  aws / sessioncache" "${speedup}x" \
		"$(awk -v a="$(median "$work/eks-cli.txt" 3)" -v b="$(median "$work/eks-sc.txt" 3)" 'BEGIN { printf "%.1fx", a / b }')"
	if awk -v s="$speedup" 'BEGIN { exit !(s < 10) }'; then
		say "bench: eks-token is only ${speedup}x faster than aws eks get-token (the aim is 10x): is the machine busy?"
	fi

	# --role-arn: the AWS CLI assumes the role on every call; eks-token
	# caches the session. A local STS without MFA, since the role is
	# assumed with the warm entry's session.
	say "EKS tokens with --role-arn: $N runs each, alternating"
	"$work/bin/stsd" -url-file "$work/sts-eks.url" -stats-file "$work/sts-eks.stats" &
	eks_sts_pid=$!
	pids+=("$eks_sts_pid")
	for ((i = 0; i < 100; i++)); do
		[[ -s $work/sts-eks.url ]] && break
		sleep 0.05
	done
	[[ -s $work/sts-eks.url ]] || { say "bench: the local STS did not start"; exit 1; }
	eks_env=(env -i "HOME=$home" "PATH=$PATH" "AWS_ENDPOINT_URL=$(cat "$work/sts-eks.url")" "AWS_EC2_METADATA_DISABLED=true")
	eks_role=arn:aws:iam::123456789012:role/eks
	expect='k8s-aws-v1\.'
	for ((i = 0; i < N; i++)); do
		measure eks-role-cli "${eks_env[@]}" "$python" -m awscli eks get-token --cluster-name prod --profile admin --role-arn "$eks_role"
		measure eks-role-sc "${eks_env[@]}" "$work/bin/sessioncache" eks-token --cluster-name prod --profile admin --role-arn "$eks_role"
	done
	expect=ASIABENCHWARM0000001
	kill -TERM "$eks_sts_pid"
	wait "$eks_sts_pid" || true
	pids=()
	# The AWS CLI's key for that role and session name EKSGetTokenAuth.
	rm -f "$home/.aws/cli/cache/2b71c142adb3f0535d646bf533fb567c257c5ff3.json"
	row "sessioncache eks-token --role-arn" "$(ms "$(median "$work/eks-role-sc.txt" 1)")" "$(mb "$(median "$work/eks-role-sc.txt" 3)")"
	row "aws eks get-token --role-arn" "$(ms "$(median "$work/eks-role-cli.txt" 1)")" "$(mb "$(median "$work/eks-role-cli.txt" 3)")"
	row "  AssumeRole calls, both together" "$(awk '$1 == "AssumeRole" { print $2 }' "$work/sts-eks.stats")" "aws $N + 1"
else
	say "bench: the AWS CLI (python3 -m awscli) not found: the EKS token rows are skipped"
fi

# --- stampede on a cold cache ------------------------------------------

if ((have_cli)); then
	say "stampede: $STAMPEDE processes on a cold cache"
	"$work/bin/stsd" -mfa -url-file "$work/sts.url" -stats-file "$work/sts.stats" &
	sts_pid=$!
	pids+=("$sts_pid")
	for ((i = 0; i < 100; i++)); do
		[[ -s $work/sts.url ]] && break
		sleep 0.05
	done
	[[ -s $work/sts.url ]] || { say "bench: the local STS did not start"; exit 1; }
	sts_url=$(cat "$work/sts.url")
	rm -f "$home/.aws/cli/cache/$key.json"
	echo 123456 >"$work/code"
	mkdir -p "$work/stampede"
	start=$EPOCHREALTIME
	spids=()
	for ((i = 0; i < STAMPEDE; i++)); do
		# setsid: no controlling terminal, so the one that must ask reads
		# the code from standard input, as with no person present.
		env -i "HOME=$home" "PATH=$PATH" "AWS_ENDPOINT_URL=$sts_url" "AWS_EC2_METADATA_DISABLED=true" \
			setsid "$work/bin/sessioncache" export --format process --profile admin \
			<"$work/code" >"$work/stampede/$i.out" 2>"$work/stampede/$i.err" &
		spids+=($!)
		pids+=($!)
	done
	failed=0
	for p in "${spids[@]}"; do wait "$p" || failed=$((failed + 1)); done
	pids=("$sts_pid")
	end=$EPOCHREALTIME
	kill -TERM "$sts_pid"
	wait "$sts_pid" || true
	pids=()
	keys=$(cat "$work"/stampede/*.out | grep -o '"AccessKeyId": *"[A-Z0-9]*"' | sort -u | wc -l)
	prompts=$(grep -l 'Enter MFA code' "$work"/stampede/*.err | wc -l || true)
	calls=$(awk '$1 == "AssumeRole" { print $2 }' "$work/sts.stats")
	row "stampede: $STAMPEDE processes, cold cache" "$(ms "$(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }')")" "-"
	row "  AssumeRole calls / prompts / failures" "$calls / $prompts / $failed" "keys: $keys"
	if ((failed > 0)); then
		say "bench: $failed stampede processes failed; the first error:"
		cat "$(grep -l . "$work"/stampede/*.err | head -n 1)" >&2 || true
	fi
fi

# --- list over a large cache --------------------------------------------

if ((have_cli)); then
	say "list: $ENTRIES entries"
	warm_entry >"$work/entry.json"
	"${python:-python3}" - "$home/.aws/cli/cache" "$work/entry.json" "$ENTRIES" <<'EOF'
import os, sys
d, src, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, "rb").read()
for i in range(n):
    path = os.path.join(d, "%040x.json" % i)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, data)
    os.close(fd)
EOF
	timed list "${run_env[@]}" "$work/bin/sessioncache" list
	row "list, $ENTRIES entries" "$(ms "$(median "$work/list.txt" 1)")" "$(mb "$(median "$work/list.txt" 3)")"
fi

# --- a large config: export, list and clear --expired -----------------------

if ((have_cli)); then
	say "large config: $PROFILES profiles"
	big=$work/big-config
	{
		cat "$home/.aws/config"
		for ((i = 0; i < PROFILES; i++)); do
			printf '\n[profile role%d]\nrole_arn = arn:aws:iam::123456789012:role/role%d\nsource_profile = src\nmfa_serial = %s\nregion = us-east-1\n' "$i" "$i" "$mfa_serial"
		done
	} >"$big"
	for ((i = 0; i < N; i++)); do
		timed export-small "${run_env[@]}" "$work/bin/sessioncache" export --profile admin
		timed export-big "${run_env[@]}" "AWS_CONFIG_FILE=$big" "$work/bin/sessioncache" export --profile admin
	done
	for f in export-small export-big; do
		grep -q . "$work/$f.txt"
	done
	row "export, 2-profile config" "$(ms "$(median "$work/export-small.txt" 1)")" "cpu $(ms "$(median "$work/export-small.txt" 2)")"
	row "export, $PROFILES-profile config" "$(ms "$(median "$work/export-big.txt" 1)")" "cpu $(ms "$(median "$work/export-big.txt" 2)")"
	row "  $PROFILES profiles / 2 profiles" \
		"$(awk -v a="$(median "$work/export-big.txt" 1)" -v b="$(median "$work/export-small.txt" 1)" 'BEGIN { printf "%.2fx", a / b }')" \
		"cpu $(awk -v a="$(median "$work/export-big.txt" 2)" -v b="$(median "$work/export-small.txt" 2)" 'BEGIN { printf "%.2fx", a / b }')"
	for ((i = 0; i < 5; i++)); do
		timed list-big "${run_env[@]}" "AWS_CONFIG_FILE=$big" "$work/bin/sessioncache" list
		timed clear-big "${run_env[@]}" "AWS_CONFIG_FILE=$big" "$work/bin/sessioncache" clear --expired
	done
	count=$(find "$home/.aws/cli/cache" -name '*.json' | wc -l)
	row "list, $PROFILES profiles, $count entries" "$(ms "$(median "$work/list-big.txt" 1)")" "cpu $(ms "$(median "$work/list-big.txt" 2)")"
	row "clear --expired, $PROFILES profiles, $count entries" "$(ms "$(median "$work/clear-big.txt" 1)")" "cpu $(ms "$(median "$work/clear-big.txt" 2)")"
fi

# --- the table -------------------------------------------------------------

printf '%-44s %14s %12s\n' "what (median of $N where repeated)" "wall" "peak RSS/cpu"
printf '%s\n' "${rows[@]}"
