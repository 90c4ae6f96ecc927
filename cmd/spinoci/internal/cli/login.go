package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/spinoci/spinoci/cmd/spinoci/internal/registry"
)

type loginFlags struct {
	username      string
	password      string
	passwordStdin bool
	registry      registryFlags
}

func newLoginCmd(e *env) *cobra.Command {
	var f loginFlags
	cmd := &cobra.Command{
		Use:   "login REGISTRY -u USER [--password-stdin | -p PASSWORD]",
		Short: "Log in to a registry",
		Long: `Login checks a username and password (or token) against REGISTRY and stores
them as ` + "`docker login`" + ` does: with the credential helper that the Docker config
file ($DOCKER_CONFIG/config.json or ~/.docker/config.json) names in credsStore
or credHelpers (when it names none: docker-credential-pass or
docker-credential-secretservice, if installed), else in that file itself
(base64, not encrypted: a warning says so). docker, oras, spin and every
spinoci command then use them.

REGISTRY is a host such as ghcr.io, docker.io or localhost:5000.
--password-stdin reads the password from standard input; -p puts it on the
command line, where other users and the shell history may see it. Without
either, the password is asked for on the terminal. It is never printed.`,
		Example: `  echo "$GITHUB_TOKEN" | spinoci login ghcr.io -u me --password-stdin
  spinoci login localhost:5000 -u admin --plain-http`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE:              runE(func(ctx context.Context, args []string) error { return e.login(ctx, args[0], f) }),
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.username, "username", "u", "", "username")
	fl.StringVarP(&f.password, "password", "p", "", "password or token (prefer --password-stdin)")
	fl.BoolVar(&f.passwordStdin, "password-stdin", false, "read the password or token from standard input")
	cmd.MarkFlagsMutuallyExclusive("password", "password-stdin")
	f.registry.add(cmd)
	return cmd
}

func newLogoutCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "logout REGISTRY",
		Short: "Remove the stored credentials of a registry",
		Long: `Logout removes the credentials of REGISTRY from where ` + "`spinoci login`" + ` or
` + "`docker login`" + ` stored them (a credential helper, or the Docker config file).`,
		Example:           `  spinoci logout ghcr.io`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: runE(func(ctx context.Context, args []string) error {
			host, err := registry.RegistryHost(args[0])
			if err != nil {
				return usageError{err}
			}
			removed, err := registry.Logout(ctx, host)
			if err != nil {
				return fmt.Errorf("logging out of %s: %w", host, err)
			}
			if removed {
				e.infof("Removed the credentials of %s", host)
			} else {
				e.infof("Not logged in to %s", host)
			}
			return nil
		}),
	}
}

func (e *env) login(ctx context.Context, arg string, f loginFlags) error {
	host, err := registry.RegistryHost(arg)
	if err != nil {
		return usageError{err}
	}
	user, password := f.username, f.password
	switch {
	case f.passwordStdin:
		if user == "" {
			return usagef("--password-stdin needs --username (-u)")
		}
		b, err := io.ReadAll(e.stdin)
		if err != nil {
			return fmt.Errorf("reading the password from standard input: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
	case password != "":
		if user == "" {
			return usagef("--password needs --username (-u)")
		}
		e.warnf("a password given with -p may be seen by other users and kept in the shell history: use --password-stdin")
	default:
		tty, ok := e.stdin.(*os.File)
		if !ok || !term.IsTerminal(int(tty.Fd())) {
			return usagef("no password: pipe it to --password-stdin (or give -p)")
		}
		if user, password, err = e.prompt(tty, user); err != nil {
			return err
		}
	}
	if user == "" || password == "" {
		return usagef("the username and the password must not be empty")
	}
	stored, err := registry.Login(ctx, host, user, password, f.registry.options())
	if err != nil {
		return fmt.Errorf("logging in to %s: %w", host, err)
	}
	if stored.Plaintext {
		e.warnf("the credentials are stored unencrypted in %s; configure a credential helper (credsStore) to avoid it", stored.ConfigPath)
		e.infof("Logged in to %s", host)
	} else {
		e.infof("Logged in to %s (credentials stored by the credential helper of %s)", host, stored.ConfigPath)
	}
	return nil
}

// prompt asks for the username (unless given) and the password on the
// terminal tty, without echoing the password.
func (e *env) prompt(tty *os.File, user string) (string, string, error) {
	if user == "" {
		fmt.Fprint(e.stderr, "Username: ")
		line, err := bufio.NewReader(tty).ReadString('\n')
		if err != nil {
			return "", "", fmt.Errorf("reading the username: %w", err)
		}
		user = strings.TrimSpace(line)
	}
	fmt.Fprint(e.stderr, "Password: ")
	b, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(e.stderr)
	if err != nil {
		return "", "", fmt.Errorf("reading the password: %w", err)
	}
	return user, string(b), nil
}
