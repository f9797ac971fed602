package ssologin

import "github.com/sessioncache/sessioncache/internal/pyjson"

func pyjsonMember(k string, v any) pyjson.Member { return pyjson.Member{Key: k, Value: v} }
