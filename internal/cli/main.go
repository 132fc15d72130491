package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
)

// Main is the main function of the tool named prog: it runs run with the process's arguments (without
// the program name) under a context that an interrupt cancels (a training stops after saving a
// checkpoint) and exits as Exit does.
func Main(prog string, run func(ctx context.Context, args []string, stdout, stderr io.Writer) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	Exit(prog, err)
}

// MainSub is Main for a tool with subcommands: without a subcommand, or with -h, --help or help, it
// prints usage on stderr (and exits with status 2 without one); otherwise run gets the subcommand and
// its arguments.
func MainSub(prog, usage string, run func(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) error) {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		fmt.Fprint(os.Stderr, usage)
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	Main(prog, func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return run(ctx, args[0], args[1:], stdout, stderr)
	})
}
