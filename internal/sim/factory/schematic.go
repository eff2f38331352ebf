package factory

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"gopkg.in/yaml.v3"
)

// The types below mirror the Image Factory's schematic model field for field:
// the ID is the SHA-256 of their YAML encoding, so the field order, the tags
// and the omitempty flags are part of the wire contract, not style.

type schematic struct {
	Overlay       overlay       `yaml:"overlay,omitempty"`
	Customization customization `yaml:"customization"`
}

type customization struct {
	ExtraKernelArgs  []string         `yaml:"extraKernelArgs,omitempty"`
	Meta             []metaValue      `yaml:"meta,omitempty"`
	SystemExtensions systemExtensions `yaml:"systemExtensions,omitempty"`
	SecureBoot       secureBoot       `yaml:"secureboot,omitempty"`
}

type metaValue struct {
	Key   uint8  `yaml:"key"`
	Value string `yaml:"value"`
}

type systemExtensions struct {
	OfficialExtensions []string `yaml:"officialExtensions,omitempty"`
}

type overlay struct {
	Image   string         `yaml:"image"`
	Name    string         `yaml:"name"`
	Options map[string]any `yaml:"options,omitempty"`
}

type secureBoot struct {
	IncludeWellKnownCertificates bool `yaml:"includeWellKnownCertificates,omitempty"`
}

// EmptySchematicID is the ID of the schematic without customisation, which
// the real factory knows without anyone posting it.
const EmptySchematicID = "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba"

// SchematicID parses a schematic strictly (unknown fields are errors, as on
// the real factory) and returns its ID and canonical YAML.
func SchematicID(body []byte) (id string, canonical []byte, err error) {
	dec := yaml.NewDecoder(bytes.NewReader(body))
	dec.KnownFields(true)
	var s schematic
	if err := dec.Decode(&s); err != nil {
		return "", nil, fmt.Errorf("failed to parse schematic: %w", err)
	}
	canonical, err = yaml.Marshal(&s)
	if err != nil {
		return "", nil, fmt.Errorf("failed to marshal schematic: %w", err)
	}
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:]), canonical, nil
}
