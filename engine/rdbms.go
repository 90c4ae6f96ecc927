package engine

import (
	"github.com/spinoci/spinoci/engine/capability/network"
	"github.com/spinoci/spinoci/engine/capability/rdbms"
	"github.com/spinoci/spinoci/engine/capability/rdbms/mysql"
	"github.com/spinoci/spinoci/engine/capability/rdbms/postgres"
)

// sqlDrivers are the App's outbound database backends; their connection
// pools are shared by every component of the App.
type sqlDrivers struct {
	postgres *postgres.Driver
	mysql    *mysql.Driver
}

func newSQLDrivers() *sqlDrivers {
	return &sqlDrivers{postgres: postgres.New(), mysql: mysql.New()}
}

// access returns what a component with the allow-list allowed may open:
// Postgres and MySQL.
func (d *sqlDrivers) access(allowed *network.AllowedHosts) (pg, mysql *rdbms.Access) {
	if d == nil {
		return nil, nil
	}
	return rdbms.NewAccess(d.postgres, allowed), rdbms.NewAccess(d.mysql, allowed)
}

// close closes the connection pools.
func (d *sqlDrivers) close() {
	if d != nil {
		d.postgres.Close()
		d.mysql.Close()
	}
}
