package main

import (
	"github.com/spf13/cobra"
)

// newRootCmd builds the command tree. Each subcommand is constructed by a
// function in its own file and added here, so there is no global registry.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "govix",
		Short: "Nix, rebuilt in Go: evaluator, content-addressed store and builder",
		Long: `govix is a modular re-implementation of Nix in Go: an evaluator for the Nix
language, a content-addressed store that speaks Nix's formats, and a builder.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String("store", "", "store URL (default: the embedded store under $GOVIX_HOME, $XDG_DATA_HOME/govix or ~/.local/share/govix)")
	root.AddCommand(
		newVersionCmd(),
		newParseCmd(),
		newInstantiateCmd(),
		newEvalCmd(),
		newHashCmd(),
		newDerivationCmd(),
		newNarCmd(),
		newStoreCmd(),
		newNarBridgeCmd(),
		newCastoreCmd(),
		newBuildCmd(),
		newBuildDaemonCmd(),
		newLogCmd(),
		newReplCmd(),
	)
	return root
}
