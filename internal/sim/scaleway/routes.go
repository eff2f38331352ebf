package scaleway

import "net/http"

// routes registers every modelled route, with the paths scaleway-sdk-go
// v1.39.0 builds. Anything else is answered 501 and recorded by the router.
func (s *Sim) routes() {
	ok, none := http.StatusOK, http.StatusNoContent
	get := func(path string, h handler) { s.router.Handle("GET "+path, false, s.serve(ok, h)) }
	mut := func(pattern string, status int, h handler) { s.router.Handle(pattern, true, s.serve(status, h)) }

	get("/metadata", s.getMetadata)
	get("/product-catalog/v2alpha1/public-catalog/products", s.listProducts)

	const iam = "/iam/v1alpha1/ssh-keys"
	get(iam, s.listSSHKeys)
	get(iam+"/{ssh_key_id}", s.getSSHKey)
	mut("POST "+iam, ok, s.createSSHKey)
	mut("PATCH "+iam+"/{ssh_key_id}", ok, s.updateSSHKey)
	mut("DELETE "+iam+"/{ssh_key_id}", none, s.deleteSSHKey)

	const em = "/baremetal/v1/zones/{zone}"
	const emSrv = em + "/servers/{server_id}"
	get(em+"/offers", s.listEMOffers)
	get(em+"/offers/{offer_id}", s.getEMOffer)
	get(em+"/os", s.listEMOS)
	get(em+"/os/{os_id}", s.getEMOS)
	get(em+"/partitioning-schemas/default", s.getDefaultSchema)
	get(em+"/servers", s.listEMServers)
	get(emSrv, s.getEMServer)
	mut("POST "+em+"/servers", ok, s.createEMServer)
	mut("PATCH "+emSrv, ok, s.updateEMServer)
	mut("DELETE "+emSrv, ok, s.deleteEMServer)
	mut("POST "+emSrv+"/install", ok, s.installEMServer)
	mut("POST "+emSrv+"/start", ok, s.powerEMServer("start"))
	mut("POST "+emSrv+"/stop", ok, s.powerEMServer("stop"))
	mut("POST "+emSrv+"/reboot", ok, s.powerEMServer("reboot"))

	const pn = "/baremetal/v3/zones/{zone}"
	get(pn+"/server-private-networks", s.listServerPNs)
	mut("POST "+pn+"/servers/{server_id}/private-networks", ok, s.addServerPN)
	mut("PUT "+pn+"/servers/{server_id}/private-networks", ok, s.setServerPNs)
	mut("DELETE "+pn+"/servers/{server_id}/private-networks/{private_network_id}", none, s.deleteServerPN)

	const vpc = "/vpc/v2/regions/{region}"
	const vpcPN = vpc + "/private-networks/{private_network_id}"
	get(vpc+"/vpcs", s.listVPCs)
	get(vpc+"/vpcs/{vpc_id}", s.getVPC)
	get(vpc+"/private-networks", s.listPrivateNetworks)
	get(vpcPN, s.getPrivateNetwork)
	mut("POST "+vpc+"/private-networks", ok, s.createPrivateNetwork)
	mut("PATCH "+vpcPN, ok, s.updatePrivateNetwork)
	mut("DELETE "+vpcPN, none, s.deletePrivateNetwork)

	const dd = "/dedibox/v1/zones/{zone}"
	const ddSrv = dd + "/servers/{server_id}"
	get(dd+"/offers", s.listDOffers)
	get(dd+"/offers/{offer_id}", s.getDOffer)
	get(dd+"/os", s.listDOS)
	get(dd+"/os/{os_id}", s.getDOS)
	get(dd+"/remaining-quota", s.getRemainingQuota)
	get(dd+"/services", s.listServices)
	get(dd+"/ordered-services/{ordered_service_id}", s.getOrderedService)
	// GetService is a PATCH with {} in the SDK: a read, so not mutating.
	s.router.Handle("PATCH "+dd+"/services/{service_id}", false, s.serve(ok, s.getService))
	get(dd+"/servers", s.listDServers)
	get(ddSrv, s.getDServer)
	get(ddSrv+"/install", s.getDInstall)
	get(ddSrv+"/partitioning/{os_id}", s.getDPartitioning)
	mut("POST "+dd+"/servers", ok, s.createDServer)
	mut("PATCH "+ddSrv, ok, s.updateDServer)
	mut("POST "+ddSrv+"/tags", ok, s.updateDServerTags)
	mut("DELETE "+ddSrv, none, s.deleteDServer)
	mut("POST "+ddSrv+"/install", ok, s.installDServer)
	mut("POST "+ddSrv+"/cancel-install", none, s.cancelDInstall)
	mut("POST "+ddSrv+"/start", none, s.powerDServer("start"))
	mut("POST "+ddSrv+"/stop", none, s.powerDServer("stop"))
	mut("POST "+ddSrv+"/reboot", none, s.powerDServer("reboot"))

	const rpn = "/dedibox/v1/rpnv2/groups"
	get(rpn, s.listRPNGroups)
	get(rpn+"/capable", s.listRPNCapable)
	get(rpn+"/{group_id}", s.getRPNGroup)
	get(rpn+"/{group_id}/members", s.listRPNMembers)
	mut("POST "+rpn, ok, s.createRPNGroup)
	mut("PATCH "+rpn+"/{group_id}", ok, s.renameRPNGroup)
	mut("DELETE "+rpn+"/{group_id}", none, s.deleteRPNGroup)
	mut("POST "+rpn+"/{group_id}/members", none, s.addRPNMembers)
	mut("DELETE "+rpn+"/{group_id}/members", none, s.deleteRPNMembers)
	mut("PATCH "+rpn+"/{group_id}/vlan", none, s.setRPNVlan)
}
