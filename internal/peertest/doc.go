// Package peertest runs the real peers of sessioncache (the AWS CLI, boto3
// and botocore) against a local moto_server, so that tests can check that
// what sessioncache writes and reads is what the peers write and read.
//
// Every peer runs under a temporary HOME made by [NewHome], with an
// environment built by [Home.Env] that keeps nothing of the caller's AWS
// settings, and talks only to the [MotoServer] on 127.0.0.1 started by
// [Moto]. Nothing here reads the real ~/.aws or reaches the internet.
//
// # Missing peers
//
// When a peer is not installed, the helpers skip the test. Set
// SESSIONCACHE_REQUIRE_PEERS=1 to make them fail instead, so that a run
// where the peers must be present (CI) cannot pass by skipping them.
package peertest
