// Package proxmox is tripod's thin layer over the Telmate Proxmox VE client
// (github.com/Telmate/proxmox-api-go, unmodified). It builds clients whose
// every connection goes through tripod's dialer and retrying transport and
// whose TLS is verified by pinning each host's certificate fingerprint
// (trusted on first use after the install, re-pinned only from an
// authenticated source after a cluster join), logs in with a root@pam ticket
// or an API token, waits for UPID tasks on the scaled clock, turns errors into
// retry decisions from status codes and task exit statuses (never from their
// text), and runs host commands the API lacks through one Commander: SSH
// where the host offers it, the API's own node terminal (termproxy over a
// small RFC 6455 websocket client) where it does not, marking a command
// that never started (ErrNotRun) apart from one that may have run. Every
// change is one request tripod sends itself: Telmate renders a VM's create
// offline (QemuCreateParams) because its typed calls may repeat a POST or
// flatten its error. A run's clients are one Fleet (one Node per host, built
// from the caller's Credentials and Endpoints), whose Send observes a
// request whose answer was lost before it repeats it. It holds no tripod
// logic: what to create, and when, is the stages' business; it imports
// neither the stages nor the runner, and reports progress to a callback.
package proxmox
