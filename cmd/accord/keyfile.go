package main

import (
	"errors"
	"io/fs"
	"os"

	"github.com/accord-dev/accord/internal/locale"
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
		return badInput(locale.Errorf("-o/--output: %s exists; pass --force to replace it", path))
	}
	if err != nil {
		return locale.Errorf("write private key: %v", err)
	}
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		return locale.Errorf("write private key %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		return locale.Errorf("write private key %s: %v", path, err)
	}
	return os.Chmod(path, 0o600)
}
