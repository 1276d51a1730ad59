package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// writeKeyFile writes a private key file with mode 0600, refusing to
// replace one unless force (accord authz keygen, accord custodian keygen).
func writeKeyFile(path, data string, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return badInput(fmt.Errorf("-o/--output: %s exists; pass --force to replace it", path))
	}
	if err != nil {
		return fmt.Errorf("write private key: %w", err)
	}
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		return fmt.Errorf("write private key %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write private key %s: %w", path, err)
	}
	return os.Chmod(path, 0o600)
}
