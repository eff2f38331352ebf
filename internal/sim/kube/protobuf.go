package kube

import (
	"bytes"
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// kubectl's typed clients send core objects as
// application/vnd.kubernetes.protobuf: the magic "k8s\x00", then a
// runtime.Unknown {typeMeta{apiVersion, kind}, raw} whose raw bytes are the
// object's generated.proto message. Only the fields a ConfigMap or a
// Secret write needs are read (ObjectMeta name, generateName, namespace,
// resourceVersion, labels; data; a secret's type and stringData).

var protoMagic = []byte("k8s\x00")

// decodeProto fills b from a protobuf-encoded ConfigMap or Secret. Both
// have metadata as field 1 and data as field 2 (a secret's values are
// bytes, the same on the wire).
func decodeProto(raw []byte, res *resource, b *writeBody) error {
	secret := res.name == "secrets"
	msg, ok := bytes.CutPrefix(raw, protoMagic)
	if !ok {
		return errors.New("missing the k8s protobuf prefix")
	}
	var obj []byte
	err := fields(msg, func(num protowire.Number, v []byte) error {
		switch num {
		case 1: // typeMeta
			return fields(v, func(n protowire.Number, s []byte) error {
				if n == 1 {
					b.APIVersion = string(s)
				} else if n == 2 {
					b.Kind = string(s)
				}
				return nil
			})
		case 2:
			obj = v
		}
		return nil
	})
	if err != nil {
		return err
	}
	return fields(obj, func(num protowire.Number, v []byte) error {
		switch num {
		case 1: // metadata
			return fields(v, func(n protowire.Number, s []byte) error {
				switch n {
				case 1:
					b.Metadata.Name = string(s)
				case 2:
					b.Metadata.GenerateName = string(s)
				case 3:
					b.Metadata.Namespace = string(s)
				case 6:
					b.Metadata.ResourceVersion = string(s)
				case 11:
					if b.Metadata.Labels == nil {
						b.Metadata.Labels = map[string]string{}
					}
					return mapEntry(s, b.Metadata.Labels)
				case 12:
					if b.Metadata.Annotations == nil {
						b.Metadata.Annotations = map[string]string{}
					}
					return mapEntry(s, b.Metadata.Annotations)
				}
				return nil
			})
		case 2: // data
			if b.Data == nil {
				b.Data = map[string]string{}
			}
			return mapEntry(v, b.Data)
		case 3:
			if secret {
				b.Type = string(v)
				return nil
			}
			return errors.New("binaryData is not modelled")
		case 4:
			if secret {
				if b.StringData == nil {
					b.StringData = map[string]string{}
				}
				return mapEntry(v, b.StringData)
			}
		}
		return nil
	})
}

// fields calls fn with each length-delimited field of a message; varints
// and fixed-width fields are skipped (none of the fields read is one).
func fields(msg []byte, fn func(protowire.Number, []byte) error) error {
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return fmt.Errorf("bad protobuf tag: %w", protowire.ParseError(n))
		}
		msg = msg[n:]
		if typ != protowire.BytesType {
			n = protowire.ConsumeFieldValue(num, typ, msg)
			if n < 0 {
				return fmt.Errorf("bad protobuf field %d: %w", num, protowire.ParseError(n))
			}
			msg = msg[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(msg)
		if n < 0 {
			return fmt.Errorf("bad protobuf field %d: %w", num, protowire.ParseError(n))
		}
		msg = msg[n:]
		if err := fn(num, v); err != nil {
			return err
		}
	}
	return nil
}

func mapEntry(entry []byte, into map[string]string) error {
	var k, v string
	err := fields(entry, func(n protowire.Number, s []byte) error {
		if n == 1 {
			k = string(s)
		} else if n == 2 {
			v = string(s)
		}
		return nil
	})
	into[k] = v
	return err
}
