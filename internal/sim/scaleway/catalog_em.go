package scaleway

import "strings"

// emOffer is one Elastic Metal offer. The table below is the real hourly
// offer list of fr-par-2 as recorded on 2025-12-09 (terraform cassette
// server-create-server-with-service-password): IDs, hardware, bandwidths,
// prices and stock are the recorded values. Each offer also exists as its
// monthly twin (ID = monthly_offer_id), listed only when asked for.
type emOffer struct {
	ID, Name, Range, MonthlyID string
	Stock                      string
	CPU                        string
	Cores, Threads, MHz        uint32
	Bench                      string
	Sockets                    int
	MemGB                      uint64
	MemType                    string
	MemMHz                     uint32
	Disks                      int
	DiskBytes                  uint64
	DiskType                   string // NVMe, SSD, HDD, MMC
	Bandwidth, MaxBandwidth    uint64
	PrivBandwidth              uint64
	MilliEURPerHour            int64
	Tags                       string // space separated
	GPU                        string
	GPUs                       int
	VRAM                       uint64
	Incompatible               string // codes of emOS entries (see catalog_em_os.go)

	monthly bool // set on the derived monthly twin
}

const (
	giga      = 1_000_000_000
	tagsNew   = "new install-system-v2 cloud-init"
	tagsV2    = "install-system-v2 cloud-init"
	noPVE     = "pve8 pve7 pbs2 esxi7 win22"
	tb1       = 1024209543168
	tb2       = 2048408248320
	tb192     = 1920383410176
	xeonE3    = "Intel Xeon E3 1220 or equivalent"
	xeon1410  = "Intel Xeon E5 1410 v2"
	xeon2600  = "Intel Xeon E5 2600 or equivalent"
	xeon2620  = "Intel Xeon E5 2620 or equivalent"
	xeon2670  = "Intel Xeon E5 2670 v2"
	ryzen3600 = "AMD Ryzen PRO 3600"
	epyc7232  = "AMD EPYC 7232P"
	epyc7272  = "AMD EPYC 7272"
	epyc7313  = "AMD EPYC 7313P"
	epyc      = "AMD EPYC "
)

var emOffers = []emOffer{
	{ID: "f78052df-c8f7-437b-9793-098ef3d45f91", Name: "EM-RV1-C4M16S128-A", Range: "labs", MonthlyID: "f4a62358-6c6c-4976-b811-0eb2f6471bd9", Stock: "available", CPU: "TH1520", Cores: 4, Threads: 4, MHz: 1850, Sockets: 1, MemGB: 16, MemType: "DDR4", MemMHz: 3733, Disks: 1, DiskBytes: 128 * giga, DiskType: "MMC", Bandwidth: giga / 10, MaxBandwidth: giga / 10, PrivBandwidth: giga / 10, MilliEURPerHour: 42, Tags: "riscv", Incompatible: "custom u2004 u2204 d11 d12 d13 pve8 pve7 pbs2 rocky9 esxi7 win22"},
	{ID: "8779d2c1-cd10-4a34-a006-cb5b1fb5cbc7", Name: "EM-A116X-SSD", Range: "aluminium", MonthlyID: "7b3dae29-0658-4351-b8a7-7b97aef6efc2", Stock: "available", CPU: xeonE3, Cores: 4, Threads: 4, MHz: 3100, Bench: "3895", Sockets: 1, MemGB: 32, MemType: "DDR3", MemMHz: 1600, Disks: 2, DiskBytes: tb1, DiskType: "SSD", Bandwidth: giga / 2, MaxBandwidth: giga, PrivBandwidth: giga, MilliEURPerHour: 77, Incompatible: noPVE},
	{ID: "256e9714-4c9b-4727-840a-f9810df2c2b4", Name: "EM-A215R-HDD", Range: "aluminium", MonthlyID: "dcc6b018-6aaf-4ad2-a6dc-b779c24a738f", Stock: "available", CPU: ryzen3600, Cores: 6, Threads: 12, MHz: 3600, Bench: "17202", Sockets: 1, MemGB: 16, MemType: "DDR4", MemMHz: 3200, Disks: 2, DiskBytes: 1000 * giga, DiskType: "HDD", Bandwidth: giga / 2, MaxBandwidth: giga, PrivBandwidth: giga, MilliEURPerHour: 101, Tags: tagsNew, Incompatible: noPVE},
	{ID: "e1680dec-52aa-4cbc-b70c-ef32d863fdb0", Name: "EM-A610R-NVME", Range: "aluminium", MonthlyID: "60bfff09-7b6e-4004-9b74-1957f26bf070", Stock: "available", CPU: ryzen3600, Cores: 6, Threads: 12, MHz: 3600, Bench: "17202", Sockets: 1, MemGB: 32, MemType: "DDR4", MemMHz: 3200, Disks: 2, DiskBytes: tb1, DiskType: "NVMe", Bandwidth: giga / 2, MaxBandwidth: giga, PrivBandwidth: giga, MilliEURPerHour: 110, Tags: tagsNew, Incompatible: "esxi7 pbs2"},
	{ID: "bd757ca3-a71b-4158-9ef5-39436b6db2a4", Name: "EM-L101X-SATA", Range: "lithium", MonthlyID: "1b067ec1-e383-4756-bbc2-d2ba5a76aa08", Stock: "available", CPU: xeon1410, Cores: 4, Threads: 8, MHz: 2800, Bench: "5715", Sockets: 1, MemGB: 96, MemType: "DDR3", MemMHz: 1600, Disks: 2, DiskBytes: 6001175126016, DiskType: "HDD", Bandwidth: giga, MaxBandwidth: giga, PrivBandwidth: giga, MilliEURPerHour: 122},
	{ID: "6ec5bbb2-8267-41cd-aaf6-d43ea1b59372", Name: "EM-A315X-SSD", Range: "aluminium", MonthlyID: "6b91e989-5251-4d89-b366-0f5565339fdc", Stock: "low", CPU: xeon1410, Cores: 4, Threads: 8, MHz: 2800, Bench: "5715", Sockets: 1, MemGB: 64, MemType: "DDR3", MemMHz: 1600, Disks: 2, DiskBytes: tb1, DiskType: "SSD", Bandwidth: giga, MaxBandwidth: giga, PrivBandwidth: giga, MilliEURPerHour: 153, Incompatible: noPVE},
	{ID: "5a505e81-5f6a-42bd-acec-0b290be92697", Name: "EM-A410X-SSD", Range: "aluminium", MonthlyID: "7adc4a66-da70-40e3-856b-7b952b77fbf9", Stock: "low", CPU: "Intel Xeon E5 1650", Cores: 6, Threads: 12, MHz: 3200, Bench: "8086", Sockets: 1, MemGB: 64, MemType: "DDR3", MemMHz: 1600, Disks: 2, DiskBytes: tb1, DiskType: "SSD", Bandwidth: giga, MaxBandwidth: giga, PrivBandwidth: giga, MilliEURPerHour: 153, Incompatible: "pve8 pve7 pbs2 win22"},
	{ID: "c5853302-63e4-40c7-a711-4a91629565c8", Name: "EM-L105X-SATA", Range: "lithium", MonthlyID: "3b36516b-34e5-4ab1-8b05-0cda2adbc84c", Stock: "available", CPU: xeon1410, Cores: 4, Threads: 8, MHz: 2800, Bench: "5715", Sockets: 1, MemGB: 96, MemType: "DDR3", MemMHz: 1600, Disks: 4, DiskBytes: 6001175126016, DiskType: "HDD", Bandwidth: giga, MaxBandwidth: giga, PrivBandwidth: giga, MilliEURPerHour: 213},
	{ID: "8c2cf291-a3d3-4dc5-967f-f498a088411d", Name: "EM-B111X-SATA", Range: "beryllium", MonthlyID: "5fefd50a-f487-4c0e-a991-71876a3984ec", Stock: "available", CPU: xeon2600, Cores: 6, Threads: 12, MHz: 2000, Bench: "5295", Sockets: 2, MemGB: 192, MemType: "DDR3", MemMHz: 1600, Disks: 2, DiskBytes: 8000 * giga, DiskType: "HDD", Bandwidth: giga, MaxBandwidth: giga, PrivBandwidth: giga, MilliEURPerHour: 263},
	{ID: "a5065ba4-dde2-45f3-adec-1ebbb27b766b", Name: "EM-B112X-SSD", Range: "beryllium", MonthlyID: "3032af6b-d3ad-424c-b986-58b9dce1f6ee", Stock: "available", CPU: xeon2600, Cores: 6, Threads: 12, MHz: 2000, Bench: "5295", Sockets: 2, MemGB: 192, MemType: "DDR3", MemMHz: 1600, Disks: 2, DiskBytes: 1000204886016, DiskType: "SSD", Bandwidth: giga, MaxBandwidth: giga, PrivBandwidth: giga, MilliEURPerHour: 263, Incompatible: "pve7 win22"},
	{ID: "c753f736-fbb4-4689-ae93-623f9d08dce5", Name: "EM-B211X-SATA", Range: "beryllium", MonthlyID: "3cd02255-ec70-4890-9ea4-680a383bb066", Stock: "available", CPU: xeon2620, Cores: 8, Threads: 16, MHz: 2100, Bench: "5295", Sockets: 2, MemGB: 256, MemType: "DDR3", MemMHz: 1600, Disks: 2, DiskBytes: 8000 * giga, DiskType: "HDD", Bandwidth: giga, MaxBandwidth: giga, PrivBandwidth: giga, MilliEURPerHour: 321},
	{ID: "ddaf8ba6-b2b2-4279-8af3-51930fb602f8", Name: "EM-B212X-SSD", Range: "beryllium", MonthlyID: "36c45e64-aaec-4823-9182-a9a05c497c01", Stock: "available", CPU: xeon2620, Cores: 8, Threads: 16, MHz: 2100, Bench: "5295", Sockets: 2, MemGB: 256, MemType: "DDR3", MemMHz: 1600, Disks: 2, DiskBytes: tb1, DiskType: "SSD", Bandwidth: giga, MaxBandwidth: giga, PrivBandwidth: giga, MilliEURPerHour: 321},
	{ID: "206ea234-9097-4ae1-af68-6d2be09f47ed", Name: "EM-B220E-NVME", Range: "beryllium", MonthlyID: "8852ff25-c867-4d58-a1f8-40b9968119b7", Stock: "available", CPU: epyc7232, Cores: 8, Threads: 16, MHz: 3100, Bench: "17017", Sockets: 1, MemGB: 64, MemType: "DDR4", MemMHz: 2400, Disks: 2, DiskBytes: tb1, DiskType: "NVMe", Bandwidth: giga, MaxBandwidth: 10 * giga, PrivBandwidth: 10 * giga, MilliEURPerHour: 333, Tags: tagsV2, Incompatible: "pbs2"},
	{ID: "0e1f7c5b-05bf-4863-ba58-9ee07496d1f7", Name: "EM-I120E-NVME", Range: "iridium", MonthlyID: "5e226c64-3ceb-470e-a9bb-d01aff3dc335", Stock: "available", CPU: epyc + "8024P", Cores: 8, Threads: 16, MHz: 2400, Bench: "20556", Sockets: 1, MemGB: 64, MemType: "DDR5", MemMHz: 3200, Disks: 2, DiskBytes: 960 * giga, DiskType: "NVMe", Bandwidth: giga, MaxBandwidth: 25 * giga, PrivBandwidth: 25 * giga, MilliEURPerHour: 356, Tags: tagsNew, Incompatible: "pbs2 esxi7"},
	{ID: "a204136d-656b-44b7-9735-88ca2f62cb1f", Name: "EM-L110X-SATA", Range: "lithium", MonthlyID: "0ca85e34-d35a-494b-9077-70589cf7a6c8", Stock: "available", CPU: xeon1410, Cores: 4, Threads: 8, MHz: 2800, Bench: "5715", Sockets: 1, MemGB: 96, MemType: "DDR3", MemMHz: 1600, Disks: 4, DiskBytes: 12000138625024, DiskType: "HDD", Bandwidth: giga, MaxBandwidth: giga, PrivBandwidth: giga, MilliEURPerHour: 366},
	{ID: "4635682e-a2ac-4dcd-8071-3deb051e7398", Name: "EM-B311X-SATA", Range: "beryllium", MonthlyID: "74038ca7-db69-46dd-b9b9-6f98c4b256c5", Stock: "available", CPU: xeon2670, Cores: 10, Threads: 20, MHz: 2500, Bench: "11369", Sockets: 2, MemGB: 256, MemType: "DDR3", MemMHz: 1600, Disks: 2, DiskBytes: 12000 * giga, DiskType: "HDD", Bandwidth: giga, MaxBandwidth: giga, PrivBandwidth: giga, MilliEURPerHour: 379},
	{ID: "67ca9c9c-2f4a-447d-8d6d-7d242382a4a3", Name: "EM-B312X-SSD", Range: "beryllium", MonthlyID: "d7574ae5-8630-437d-8032-99f3a337603b", Stock: "available", CPU: xeon2670, Cores: 10, Threads: 20, MHz: 2500, Bench: "11369", Sockets: 2, MemGB: 256, MemType: "DDR3", MemMHz: 1600, Disks: 2, DiskBytes: tb1, DiskType: "SSD", Bandwidth: giga, MaxBandwidth: giga, PrivBandwidth: giga, MilliEURPerHour: 379},
	{ID: "a60ae97c-268c-40cb-af5f-dd276e917ed7", Name: "EM-B320E-NVME", Range: "beryllium", MonthlyID: "ffbd2be3-076a-4940-b77d-d8b333f9723e", Stock: "empty", CPU: epyc7232, Cores: 8, Threads: 16, MHz: 3100, Bench: "17017", Sockets: 1, MemGB: 128, MemType: "DDR4", MemMHz: 2400, Disks: 2, DiskBytes: tb2, DiskType: "NVMe", Bandwidth: giga, MaxBandwidth: 10 * giga, PrivBandwidth: 10 * giga, MilliEURPerHour: 417, Tags: tagsV2, Incompatible: "pbs2"},
	{ID: "d14eef5e-3279-42db-bb57-bb2bbe6a5b28", Name: "EM-B420E-NVME", Range: "beryllium", MonthlyID: "8511a555-b488-458d-bdf2-b74716b8c1cb", Stock: "available", CPU: epyc7272, Cores: 12, Threads: 24, MHz: 2900, Bench: "25568", Sockets: 1, MemGB: 128, MemType: "DDR4", MemMHz: 2400, Disks: 2, DiskBytes: tb1, DiskType: "NVMe", Bandwidth: giga, MaxBandwidth: 10 * giga, PrivBandwidth: 10 * giga, MilliEURPerHour: 444, Tags: tagsV2, Incompatible: "pbs2"},
	{ID: "d73011fa-02e0-46bc-992c-8bb62c767e97", Name: "EM-B520E-NVME", Range: "beryllium", MonthlyID: "2cc8ffd7-c25d-4c02-aa8b-b695bebe6213", Stock: "empty", CPU: epyc7272, Cores: 12, Threads: 24, MHz: 2900, Bench: "25568", Sockets: 1, MemGB: 256, MemType: "DDR4", MemMHz: 2400, Disks: 2, DiskBytes: tb2, DiskType: "NVMe", Bandwidth: giga, MaxBandwidth: 10 * giga, PrivBandwidth: 10 * giga, MilliEURPerHour: 528, Tags: tagsV2, Incompatible: "pbs2"},
	{ID: "fd7605a7-7493-49ba-9019-0e9c2897d4a0", Name: "EM-I220E-NVME", Range: "iridium", MonthlyID: "293cc6d1-0ac8-4bc4-a5a1-8ed2096b045c", Stock: "available", CPU: epyc + "8124P", Cores: 16, Threads: 32, MHz: 2450, Bench: "36338", Sockets: 1, MemGB: 128, MemType: "DDR5", MemMHz: 3200, Disks: 2, DiskBytes: 960 * giga, DiskType: "NVMe", Bandwidth: giga, MaxBandwidth: 25 * giga, PrivBandwidth: 25 * giga, MilliEURPerHour: 548, Tags: tagsNew, Incompatible: "pbs2 esxi7"},
	{ID: "7e81d4d4-a84b-4dd0-9f44-f0ac34a09e3a", Name: "EM-I210E-NVME", Range: "iridium", MonthlyID: "f46f16bd-ce65-4a6c-9e15-1d35b52e9e5e", Stock: "low", CPU: epyc7313, Cores: 16, Threads: 32, MHz: 3000, Bench: "41609", Sockets: 1, MemGB: 128, MemType: "DDR4", MemMHz: 3200, Disks: 2, DiskBytes: tb192, DiskType: "NVMe", Bandwidth: giga, MaxBandwidth: 10 * giga, PrivBandwidth: 10 * giga, MilliEURPerHour: 667},
	{ID: "402efe20-4dcb-49af-bc80-1008bcc749a6", Name: "EM-L220E-NVME", Range: "lithium", MonthlyID: "da1aff24-a8c5-445d-ae61-a1165e8dd636", Stock: "empty", CPU: epyc7232, Cores: 8, Threads: 16, MHz: 3100, Bench: "17017", Sockets: 1, MemGB: 64, MemType: "DDR4", MemMHz: 2400, Disks: 4, DiskBytes: tb2, DiskType: "NVMe", Bandwidth: giga, MaxBandwidth: 10 * giga, PrivBandwidth: 10 * giga, MilliEURPerHour: 685, Tags: tagsV2, Incompatible: "pbs2"},
	{ID: "66cdd2c4-664c-47af-b0ad-a70e12999f0e", Name: "EM-I320E-NVME", Range: "iridium", MonthlyID: "db96a346-53e8-41ab-838b-b0a349abbb66", Stock: "available", CPU: epyc + "8224P", Cores: 24, Threads: 48, MHz: 2550, Bench: "45160", Sockets: 1, MemGB: 192, MemType: "DDR5", MemMHz: 3200, Disks: 2, DiskBytes: 1920 * giga, DiskType: "NVMe", Bandwidth: giga, MaxBandwidth: 25 * giga, PrivBandwidth: 25 * giga, MilliEURPerHour: 822, Tags: tagsNew, Incompatible: "pbs2 esxi7"},
	{ID: "ddb09834-8680-4339-b5e3-19ca5205fa1f", Name: "EM-I215E-NVME", Range: "iridium", MonthlyID: "44890f67-212b-4610-9170-4c199644525e", Stock: "available", CPU: epyc7313, Cores: 16, Threads: 32, MHz: 3000, Bench: "41609", Sockets: 1, MemGB: 256, MemType: "DDR4", MemMHz: 3200, Disks: 2, DiskBytes: tb192, DiskType: "NVMe", Bandwidth: giga, MaxBandwidth: 10 * giga, PrivBandwidth: 10 * giga, MilliEURPerHour: 904, Tags: tagsV2, Incompatible: "pbs2"},
	{ID: "18137894-b9a7-4e7b-b026-518ab8a3e41e", Name: "EM-L420E-NVME", Range: "lithium", MonthlyID: "d6cc24a7-b7a3-4dbf-808c-0e92be840f11", Stock: "empty", CPU: epyc7272, Cores: 12, Threads: 24, MHz: 2900, Bench: "25568", Sockets: 1, MemGB: 128, MemType: "DDR4", MemMHz: 2400, Disks: 4, DiskBytes: 4000787030016, DiskType: "NVMe", Bandwidth: giga, MaxBandwidth: 10 * giga, PrivBandwidth: 10 * giga, MilliEURPerHour: 1014, Tags: tagsV2, Incompatible: "pbs2"},
	{ID: "6e905149-d776-49c1-824d-8161f40968e9", Name: "EM-I420E-NVME", Range: "iridium", MonthlyID: "1d6a7465-696d-408b-91d1-ccf1f90fd887", Stock: "available", CPU: epyc + "8324P", Cores: 32, Threads: 64, MHz: 2650, Bench: "57127", Sockets: 1, MemGB: 256, MemType: "DDR5", MemMHz: 3200, Disks: 2, DiskBytes: 1920 * giga, DiskType: "NVMe", Bandwidth: giga, MaxBandwidth: 25 * giga, PrivBandwidth: 25 * giga, MilliEURPerHour: 1096, Tags: tagsNew, Incompatible: "pbs2 esxi7"},
	{ID: "b20ba18e-34e8-44aa-b909-93cbff7635b5", Name: "EM-I520E-NVME", Range: "iridium", MonthlyID: "5d7ced21-ce80-4bf8-ba7a-57195d56e2e8", Stock: "available", CPU: epyc + "8434P", Cores: 48, Threads: 96, MHz: 2500, Bench: "66490", Sockets: 1, MemGB: 384, MemType: "DDR5", MemMHz: 3200, Disks: 2, DiskBytes: 3840 * giga, DiskType: "NVMe", Bandwidth: giga, MaxBandwidth: 25 * giga, PrivBandwidth: 25 * giga, MilliEURPerHour: 1370, Tags: tagsNew, Incompatible: "pbs2 esxi7"},
	{ID: "51131a3a-7a9b-44c7-8228-2c071c185b77", Name: "EM-I620E-NVME", Range: "iridium", MonthlyID: "cda8bdd6-40bc-4352-a1c4-e78941d9243f", Stock: "available", CPU: epyc + "8534P", Cores: 64, Threads: 128, MHz: 2300, Bench: "71900", Sockets: 1, MemGB: 576, MemType: "DDR5", MemMHz: 3200, Disks: 2, DiskBytes: 3840 * giga, DiskType: "NVMe", Bandwidth: giga, MaxBandwidth: 25 * giga, PrivBandwidth: 25 * giga, MilliEURPerHour: 1644, Tags: tagsNew, Incompatible: "pbs2 esxi7"},
	{ID: "49c3ff54-7949-4a53-8f52-f2ea17c451b1", Name: "EM-I525E-NVME", Range: "iridium", MonthlyID: "fc10fde7-336e-430a-aa58-0f70669e9fab", Stock: "empty", CPU: epyc + "8434P", Cores: 48, Threads: 96, MHz: 2500, Bench: "66490", Sockets: 1, MemGB: 384, MemType: "DDR5", MemMHz: 3200, Disks: 4, DiskBytes: 7680 * giga, DiskType: "NVMe", Bandwidth: giga, MaxBandwidth: 25 * giga, PrivBandwidth: 25 * giga, MilliEURPerHour: 1781, Tags: tagsNew, Incompatible: "pbs2 esxi7"},
	{ID: "4b5882ea-7453-4505-b601-37cc181eff2c", Name: "EM-T220E-L40S", Range: "titanium", MonthlyID: "bc3c860d-0136-4d0c-a34d-b881a57e631a", Stock: "low", CPU: epyc + "9334", Cores: 32, Threads: 64, MHz: 2700, Bench: "64841", Sockets: 1, MemGB: 256, MemType: "DDR5", MemMHz: 4800, Disks: 2, DiskBytes: 3840755982336, DiskType: "NVMe", Bandwidth: giga, MaxBandwidth: 25 * giga, PrivBandwidth: 25 * giga, MilliEURPerHour: 4110, Tags: tagsNew, GPU: "NVIDIA L40S", GPUs: 2, VRAM: 48 * giga, Incompatible: noPVE},
	{ID: "3f0a460c-46aa-4b9e-a39a-083688d08b6a", Name: "EM-T620E-H100", Range: "titanium", MonthlyID: "9b148a7a-1052-4a7f-a9f7-75ab572883a5", Stock: "empty", CPU: epyc + "9334", Cores: 32, Threads: 64, MHz: 2700, Bench: "64841", Sockets: 1, MemGB: 512, MemType: "DDR5", MemMHz: 4800, Disks: 2, DiskBytes: 7681501126656, DiskType: "NVMe", Bandwidth: giga, MaxBandwidth: 25 * giga, PrivBandwidth: 25 * giga, MilliEURPerHour: 9589, Tags: tagsNew, GPU: "NVIDIA H100", GPUs: 2, VRAM: 80 * giga, Incompatible: noPVE},
}

// emOfferByID finds an offer or its monthly twin.
func emOfferByID(id string) (emOffer, bool) {
	for _, o := range emOffers {
		switch id {
		case o.ID:
			return o, true
		case o.MonthlyID:
			return o.monthlyTwin(), true
		}
	}
	return emOffer{}, false
}

func emOfferByName(name string) (emOffer, bool) {
	for _, o := range emOffers {
		if strings.EqualFold(o.Name, name) {
			return o, true
		}
	}
	return emOffer{}, false
}

func (o emOffer) monthlyTwin() emOffer {
	o.ID, o.MonthlyID, o.monthly = o.MonthlyID, "", true
	return o
}

// legacy reports whether orders of this offer start in "delivering" (older
// Intel Xeon hardware, recorded 2025-07) rather than "ordered" (recorded on
// newer offers, 2025-10 and 2025-12).
func (o emOffer) legacy() bool { return strings.Contains(o.Name, "X-") }

func (o emOffer) quotaName() string {
	q := strings.ReplaceAll(o.Name, "-", "_")
	return strings.Replace(q, "_NVME", "_NVMe", 1)
}

func (o emOffer) incompatibleWith(code string) bool {
	for _, c := range strings.Fields(o.Incompatible) {
		if c == code {
			return true
		}
	}
	return false
}
