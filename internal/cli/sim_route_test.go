package cli

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	pxapi "github.com/Telmate/proxmox-api-go/proxmox"
	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	"github.com/scaleway/scaleway-sdk-go/scw"
	"golang.org/x/crypto/ssh"

	"github.com/tripod-dev/tripod/internal/netx"
	"github.com/tripod-dev/tripod/internal/sim"
	simscw "github.com/tripod-dev/tripod/internal/sim/scaleway"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// With the operator on the public side, a Talos node's API at its private
// address is not dialable directly, and is reached through the netx route
// over a simulated host's SSH once that host has its leg on the VLAN (an
// RPNv2 membership and a bridge address), and only then.
func TestOperatorPublicReachesTalosThroughSSH(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(nil)
	key, _ := ssh.NewSignerFromKey(priv)
	w, err := sim.Start(sim.Options{Profile: simcore.Instant, TimeScale: 1, Seed: 3, DataDir: t.TempDir(), Operator: simcore.OperatorPublic})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	id, err := w.Scaleway.PreloadServer(scalewayPreloaded(string(ssh.MarshalAuthorizedKey(key.PublicKey()))))
	if err != nil {
		t.Fatal(err)
	}
	var host simcore.HostInfo
	for _, h := range w.Scaleway.Installed() {
		if h.ServerID == id {
			host = h
		}
	}
	if host.PublicIP == "" {
		t.Fatalf("preloaded Proxmox host %s did not come up", id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	w.Talos.Boot(simcore.VMInfo{VMID: 101, Name: "cp-1", Node: host.Hostname, Placement: host.Placement, Cores: 2, MemoryMiB: 2048, IPCIDR: "10.20.0.21/24"})
	const talos = "10.20.0.21:50000"
	for {
		if _, ok := w.Env.Net.Entry(talos); ok {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("the Talos node never listened")
		}
		time.Sleep(10 * time.Millisecond)
	}

	d, err := netx.Simulated(w.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	if c, err := d.DialContext(ctx, "tcp", talos); err == nil {
		c.Close()
		t.Fatal("the operator dialed a private address directly")
	}
	var pinned ssh.PublicKey
	jump := netx.Jump{Key: host.Hostname, Address: host.PublicIP + ":22", Config: &ssh.ClientConfig{User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(key)},
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error { // trust on first use, then pinned
			if pinned == nil {
				pinned = k
			}
			if string(pinned.Marshal()) != string(k.Marshal()) {
				return errors.New("host key changed")
			}
			return nil
		}}}
	routed := d.WithRoute(netx.RouterFunc(func(addr string) []netx.Jump {
		if strings.HasPrefix(addr, "10.") {
			return []netx.Jump{jump}
		}
		return nil
	}), 5*time.Second)
	defer routed.Close()

	var oc *ssh.OpenChannelError
	if _, err := routed.DialContext(ctx, "tcp", talos); !errors.As(err, &oc) || oc.Reason != ssh.ConnectionFailed {
		t.Fatalf("through a host without its VLAN leg: %v, want connect failed", err)
	}
	joinRPN(t, w, id)
	bridge(t, ctx, d, w, host, "10.20.0.11/24")

	c, err := routed.DialContext(ctx, "tcp", talos)
	if err != nil {
		t.Fatalf("through %s: %v", host.Hostname, err)
	}
	defer c.Close()
	tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}}) // maintenance mode: any certificate
	if err := tc.HandshakeContext(ctx); err != nil || len(tc.ConnectionState().PeerCertificates) == 0 {
		t.Fatalf("TLS with the Talos API through SSH: %v", err)
	}
	st := w.Env.Log.Snapshot().APIs[simcore.APISSH].Routes["direct-tcpip talos"]
	if st == nil || st.Statuses["open"] != 1 || st.Statuses["no-route"] != 1 {
		b, _ := json.Marshal(st)
		t.Fatalf("forwards recorded: %s", b)
	}
}

func scalewayPreloaded(authorizedKey string) simscw.PreloadedServer {
	return simscw.PreloadedServer{Provider: "dedibox", Offer: "CORE-10-M", Datacenter: "DC2", Hostname: "pve1",
		InstalledOS: "proxmox", RootPassword: "pw-pve1-secret", SSHKeys: []string{authorizedKey}}
}

// joinRPN puts the server in an RPNv2 group through the Dedibox API.
func joinRPN(t *testing.T, w *sim.World, id string) {
	t.Helper()
	cr := w.Scaleway.Credentials()
	client, err := scw.NewClient(scw.WithAPIURL(w.ScalewayURL()), scw.WithAuth(cr.AccessKey, cr.SecretKey),
		scw.WithDefaultProjectID(cr.ProjectID), scw.WithDefaultOrganizationID(cr.OrganizationID), scw.WithDefaultZone(scw.ZoneFrPar1))
	if err != nil {
		t.Fatal(err)
	}
	var sid uint64
	fmt.Sscan(id, &sid)
	if _, err := dedibox.NewRpnV2API(client).CreateRpnV2Group(&dedibox.RpnV2ApiCreateRpnV2GroupRequest{Name: "tripod-lab", Type: dedibox.RpnV2GroupTypeStandard, Servers: []uint64{sid}}); err != nil {
		t.Fatal(err)
	}
}

// bridge gives the host a VLAN interface with cidr through its Proxmox API,
// the way the network stage does, dialed through netx.
func bridge(t *testing.T, ctx context.Context, d *netx.Dialer, w *sim.World, h simcore.HostInfo, cidr string) {
	t.Helper()
	fp := w.Proxmox.Fingerprint(h.Hostname)
	hc := d.HTTPClient(&tls.Config{InsecureSkipVerify: true, VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
		sum := sha256.Sum256(raw[0])
		parts := make([]string, len(sum))
		for i, b := range sum {
			parts[i] = fmt.Sprintf("%02X", b)
		}
		if strings.Join(parts, ":") != fp {
			return errors.New("certificate does not match the pinned fingerprint")
		}
		return nil
	}}, 30*time.Second)
	c, err := pxapi.NewClient("https://"+h.PublicIP+":8006/api2/json", hc, "", nil, "", 300, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(ctx, "root@pam", h.RootPassword, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateNetwork(ctx, h.Hostname, map[string]any{"iface": "vmbr1", "type": "bridge", "bridge_ports": "eno2", "bridge_vlan_aware": true, "autostart": true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateNetwork(ctx, h.Hostname, map[string]any{"iface": "vmbr1.4000", "type": "vlan", "cidr": cidr, "autostart": true}); err != nil {
		t.Fatal(err)
	}
	body, err := c.UpdateItemReturnStatus(ctx, nil, "/nodes/"+h.Hostname+"/network")
	if err != nil {
		t.Fatal(err)
	}
	var resp struct{ Data string }
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	for {
		st, err := c.GetItemConfigMapStringInterface(ctx, "/nodes/"+h.Hostname+"/tasks/"+resp.Data+"/status", "task", "status")
		if err != nil {
			t.Fatal(err)
		}
		if st["status"] == "stopped" {
			if st["exitstatus"] != "OK" {
				t.Fatalf("network apply: %v", st["exitstatus"])
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
