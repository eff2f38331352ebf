package factory

import (
	"encoding/json"
	"fmt"
)

type savedFactory struct {
	Versions   []string          `json:"versions"`
	ImageSize  int64             `json:"image_size"`
	Schematics map[string]string `json:"schematics"` // ID -> canonical YAML
}

// Save returns the factory's state (known schematics and knobs) as JSON.
func (f *Factory) Save() ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := savedFactory{Versions: f.Versions, ImageSize: f.ImageSize, Schematics: map[string]string{}}
	for id, y := range f.schematics {
		s.Schematics[id] = string(y)
	}
	return json.Marshal(s)
}

// Load replaces the factory's state with one returned by Save.
func (f *Factory) Load(data []byte) error {
	var s savedFactory
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("failed to load factory state: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Versions, f.ImageSize = s.Versions, s.ImageSize
	f.schematics = map[string][]byte{}
	for id, y := range s.Schematics {
		f.schematics[id] = []byte(y)
	}
	f.sums = map[string]checksum{}
	return nil
}
