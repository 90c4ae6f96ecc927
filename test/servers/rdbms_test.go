package servers

import (
	"net"
	"testing"
)

func TestSQLServersStart(t *testing.T) {
	for name, start := range map[string]func(T) *Server{"postgres": Postgres, "mariadb": MariaDB} {
		t.Run(name, func(t *testing.T) {
			s := start(t)
			c, err := net.Dial("tcp", s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
			s.Stop()
			if c, err := net.Dial("tcp", s.Addr()); err == nil {
				c.Close()
				t.Errorf("%s still listens after Stop", name)
			}
		})
	}
}
