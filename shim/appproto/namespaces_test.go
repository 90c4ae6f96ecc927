package appproto

import "testing"

func TestJoinEnv(t *testing.T) {
	got, err := JoinEnv([]NamespaceJoin{{Type: "net", Path: "/proc/1/ns/net"}, {Type: "ipc", Path: "/proc/1/ns/ipc"}})
	if err != nil || got != EnvJoin+"=net=/proc/1/ns/net,ipc=/proc/1/ns/ipc" {
		t.Errorf("JoinEnv = %q, %v", got, err)
	}
	if got, err := JoinEnv(nil); got != "" || err != nil {
		t.Errorf("JoinEnv(nil) = %q, %v", got, err)
	}
	if _, err := JoinEnv([]NamespaceJoin{{Type: "pid", Path: "/proc/1/ns/pid"}}); err == nil {
		t.Error("a pid namespace was accepted")
	}
	if _, err := JoinEnv([]NamespaceJoin{{Type: "net", Path: "/a,b"}}); err == nil {
		t.Error("a path with a comma was accepted")
	}
}
