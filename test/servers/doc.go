// Package servers starts real third-party servers for tests: redis-server,
// mosquitto, PostgreSQL and MariaDB from Debian (test/deps.sh installs
// them), each on 127.0.0.1 at a free port with its own data directory,
// stopped when the test ends. A test skips when the server's program is not
// installed (and fails under CI). Echo is a TCP echo server in the test
// process.
package servers
