package talos

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/url"
	"time"

	"gopkg.in/yaml.v3"
)

// Kubeconfig is what tripod reads from the admin kubeconfig Talos hands
// out: the current context's server and credentials.
type Kubeconfig struct {
	Context string
	Server  string // https://HOST:PORT, cluster.controlPlane.endpoint
	CA      []byte // PEM
	Cert    []byte // PEM client certificate
	Key     []byte // PEM client key
}

type kubeconfigFile struct {
	CurrentContext string `yaml:"current-context"`
	Clusters       []struct {
		Name    string `yaml:"name"`
		Cluster struct {
			Server string `yaml:"server"`
			CAData string `yaml:"certificate-authority-data"`
		} `yaml:"cluster"`
	} `yaml:"clusters"`
	Users []struct {
		Name string `yaml:"name"`
		User struct {
			CertData string `yaml:"client-certificate-data"`
			KeyData  string `yaml:"client-key-data"`
		} `yaml:"user"`
	} `yaml:"users"`
	Contexts []struct {
		Name    string `yaml:"name"`
		Context struct {
			Cluster string `yaml:"cluster"`
			User    string `yaml:"user"`
		} `yaml:"context"`
	} `yaml:"contexts"`
}

// ParseKubeconfig reads the current context of a kubeconfig with embedded
// certificate data. Errors name fields, never their contents.
func ParseKubeconfig(data []byte) (*Kubeconfig, error) {
	var f kubeconfigFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("the kubeconfig is not readable YAML")
	}
	k := &Kubeconfig{Context: f.CurrentContext}
	var cluster, user string
	for _, c := range f.Contexts {
		if c.Name == f.CurrentContext {
			cluster, user = c.Context.Cluster, c.Context.User
		}
	}
	var err error
	for _, c := range f.Clusters {
		if c.Name == cluster {
			k.Server = c.Cluster.Server
			k.CA, err = decodeField(err, c.Cluster.CAData, "certificate-authority-data")
		}
	}
	for _, u := range f.Users {
		if u.Name == user {
			k.Cert, err = decodeField(err, u.User.CertData, "client-certificate-data")
			k.Key, err = decodeField(err, u.User.KeyData, "client-key-data")
		}
	}
	if err != nil {
		return nil, err
	}
	if k.Server == "" || len(k.CA) == 0 || len(k.Cert) == 0 || len(k.Key) == 0 {
		return nil, fmt.Errorf("the kubeconfig's current context %q lacks a server or embedded certificates", f.CurrentContext)
	}
	return k, nil
}

func decodeField(prev error, s, name string) ([]byte, error) {
	if prev != nil {
		return nil, prev
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("the kubeconfig's %s is not base64", name)
	}
	return b, nil
}

// TLSConfig is the client TLS configuration the kubeconfig describes: the
// cluster CA as the only root, and the client certificate.
func (k *Kubeconfig) TLSConfig() (*tls.Config, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(k.CA) {
		return nil, fmt.Errorf("the kubeconfig's CA is not a PEM certificate")
	}
	cert, err := tls.X509KeyPair(k.Cert, k.Key)
	if err != nil {
		return nil, fmt.Errorf("the kubeconfig's client certificate and key do not form a pair")
	}
	host := ""
	if u, err := url.Parse(k.Server); err == nil {
		host = u.Hostname()
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, ServerName: host, MinVersion: tls.VersionTLS12}, nil
}

// KubeconfigCurrent reports whether a written kubeconfig still serves: its
// server is endpoint, it trusts caPEM (the cluster's Kubernetes CA) and its
// client certificate, from that CA, is valid for 30 more days at now.
func KubeconfigCurrent(existing, caPEM []byte, endpoint string, now time.Time) bool {
	k, err := ParseKubeconfig(existing)
	if err != nil || k.Server != endpoint || string(k.CA) != string(caPEM) {
		return false
	}
	return certFromCA(k.Cert, caPEM, now)
}
