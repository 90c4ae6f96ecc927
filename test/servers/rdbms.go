package servers

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"
)

// The account and database the SQL servers are set up with.
const (
	SQLUser     = "spin"
	SQLPassword = "spin-secret"
	SQLDatabase = "spin"
)

// Postgres starts a PostgreSQL server from Debian's postgresql package
// (its programs live in /usr/lib/postgresql/<version>/bin) with a fresh
// cluster whose superuser is SQLUser (password SQLPassword, scram-sha-256
// over TCP only) and a database SQLDatabase. PostgreSQL refuses to run as
// root, so as root the cluster belongs to and runs as user nobody, in a
// directory under the system temp dir that nobody owns.
func Postgres(t T) *Server {
	t.Helper()
	bin := postgresBinDir(t)
	var attr *syscall.SysProcAttr
	var dir string
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			t.Fatalf("postgres: looking up user nobody: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		attr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		if dir, err = os.MkdirTemp("", "spinoci-postgres-"); err != nil {
			t.Fatalf("postgres: %v", err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatalf("postgres: %v", err)
		}
	} else {
		dir = t.TempDir()
	}
	pwFile := filepath.Join(dir, "password")
	if err := os.WriteFile(pwFile, []byte(SQLPassword+"\n"), 0o644); err != nil {
		t.Fatalf("postgres: %v", err)
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", SQLUser, "--pwfile", pwFile,
		"--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C", "--no-sync")
	initdb.Dir, initdb.SysProcAttr = dir, attr
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("postgres: initdb: %v\n%s", err, out)
	}
	port := FreePort(t)
	s := startServer(t, &Server{t: t, name: "postgres", Port: port, Dir: dir, attr: attr, stop: syscall.SIGINT,
		argv: []string{filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port),
			"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off"}})
	// It listens before it accepts sessions ("the database system is
	// starting up"): retry until createdb gets through.
	deadline := time.Now().Add(15 * time.Second)
	for {
		createdb := exec.Command(filepath.Join(bin, "createdb"), "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", SQLUser, SQLDatabase)
		createdb.Env = append(os.Environ(), "PGPASSWORD="+SQLPassword)
		out, err := createdb.CombinedOutput()
		if err == nil {
			return s
		}
		if !bytes.Contains(out, []byte("starting up")) || time.Now().After(deadline) {
			t.Fatalf("postgres: createdb: %v\n%s", err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// postgresBinDir is the bin directory of the newest PostgreSQL installed.
func postgresBinDir(t T) string {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d
		}
	}
	if bin, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(bin)
	}
	serverBinary(t, "initdb") // skips, or fails under CI
	return ""
}

// version is the major version in /usr/lib/postgresql/<version>/bin.
func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// PostgresURL is the server's URL for SQLUser's database.
func (s *Server) PostgresURL() string {
	return fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=disable", SQLUser, SQLPassword, s.Addr(), SQLDatabase)
}

// MariaDB starts a MariaDB server (Debian's mariadb-server) with a fresh
// data directory, a database SQLDatabase and an account SQLUser (password
// SQLPassword) that may use it from anywhere; it runs as the current user
// (as root too: --user=root).
func MariaDB(t T) *Server {
	t.Helper()
	installer := serverBinary(t, "mariadb-install-db")
	daemon := serverBinary(t, "mariadbd")
	me, err := user.Current()
	if err != nil {
		t.Fatalf("mariadb: current user: %v", err)
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	// Its own temporary directory: servers set up at once in the shared
	// one remove each other's temporary tables.
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatalf("mariadb: %v", err)
	}
	install := exec.Command(installer, "--no-defaults", "--datadir="+data, "--user="+me.Username,
		"--auth-root-authentication-method=normal", "--skip-test-db", "--tmpdir="+tmp)
	install.Env = append(os.Environ(), "TMPDIR="+tmp)
	out, err := install.CombinedOutput()
	if err != nil {
		t.Fatalf("mariadb: mariadb-install-db: %v\n%s", err, out)
	}
	initFile := filepath.Join(dir, "init.sql")
	initSQL := fmt.Sprintf("CREATE DATABASE IF NOT EXISTS %s;\nCREATE USER IF NOT EXISTS '%s'@'%%' IDENTIFIED BY '%s';\nGRANT ALL ON %s.* TO '%s'@'%%';\n",
		SQLDatabase, SQLUser, SQLPassword, SQLDatabase, SQLUser)
	if err := os.WriteFile(initFile, []byte(initSQL), 0o644); err != nil {
		t.Fatalf("mariadb: %v", err)
	}
	port := FreePort(t)
	errorLog := filepath.Join(dir, "error.log")
	s := startServer(t, &Server{t: t, name: "mariadbd", Port: port, Dir: dir, stop: syscall.SIGTERM,
		argv: []string{daemon, "--no-defaults", "--datadir=" + data, "--socket=" + filepath.Join(dir, "mysqld.sock"),
			"--pid-file=" + filepath.Join(dir, "mysqld.pid"), "--port=" + strconv.Itoa(port), "--bind-address=127.0.0.1",
			"--user=" + me.Username, "--init-file=" + initFile, "--tmpdir=" + tmp, "--skip-name-resolve", "--skip-log-bin",
			"--innodb-buffer-pool-size=16M", "--log-error=" + errorLog}})
	// It listens before it has run the init file and serves sessions.
	deadline := time.Now().Add(30 * time.Second)
	for {
		log, _ := os.ReadFile(errorLog)
		if bytes.Contains(log, []byte("ready for connections")) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("mariadb did not get ready:\n%s", log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// MySQLURL is the server's mysql:// URL for SQLUser's database.
func (s *Server) MySQLURL() string {
	return fmt.Sprintf("mysql://%s:%s@%s/%s", SQLUser, SQLPassword, s.Addr(), SQLDatabase)
}
