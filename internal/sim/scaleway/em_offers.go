package scaleway

import (
	"net/http"
	"strings"
	"time"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// The wire form of baremetal/v1 offers, written from the recorded bodies.
type emOfferW struct {
	ID                 string      `json:"id"`
	Name               string      `json:"name"`
	Stock              string      `json:"stock"`
	Bandwidth          uint64      `json:"bandwidth"`
	MaxBandwidth       uint64      `json:"max_bandwidth"`
	CommercialRange    string      `json:"commercial_range"`
	PricePerHour       *moneyW     `json:"price_per_hour"`
	PricePerMonth      *moneyW     `json:"price_per_month"`
	Disks              []emDiskW   `json:"disks"`
	Enable             bool        `json:"enable"`
	CPUs               []emCPUW    `json:"cpus"`
	Memories           []emMemW    `json:"memories"`
	QuotaName          string      `json:"quota_name"`
	PersistentMemories []struct{}  `json:"persistent_memories"`
	RaidControllers    []struct{}  `json:"raid_controllers"`
	IncompatibleOsIDs  []string    `json:"incompatible_os_ids"`
	SubscriptionPeriod string      `json:"subscription_period"`
	OperationPath      string      `json:"operation_path"`
	Fee                *moneyW     `json:"fee"`
	Options            []emOptionW `json:"options"`
	PrivateBandwidth   uint64      `json:"private_bandwidth"`
	SharedBandwidth    bool        `json:"shared_bandwidth"`
	Tags               []string    `json:"tags"`
	Gpus               []emGPUW    `json:"gpus"`
	MonthlyOfferID     *string     `json:"monthly_offer_id"`
	Zone               string      `json:"zone"`
}

type moneyW struct {
	CurrencyCode string `json:"currency_code"`
	Units        int64  `json:"units"`
	Nanos        int32  `json:"nanos"`
}

func eur(milli int64) *moneyW {
	return &moneyW{CurrencyCode: "EUR", Units: milli / 1000, Nanos: int32(milli%1000) * 1_000_000}
}

type emDiskW struct {
	Capacity uint64 `json:"capacity"`
	Type     string `json:"type"`
}

type emCPUW struct {
	Name        string `json:"name"`
	CoreCount   uint32 `json:"core_count"`
	ThreadCount uint32 `json:"thread_count"`
	Frequency   uint32 `json:"frequency"`
	Benchmark   string `json:"benchmark"`
}

type emMemW struct {
	Capacity  uint64 `json:"capacity"`
	Type      string `json:"type"`
	Frequency uint32 `json:"frequency"`
	IsEcc     bool   `json:"is_ecc"`
}

type emGPUW struct {
	Name string `json:"name"`
	Vram uint64 `json:"vram"`
}

// emOptionW is an offer option; exactly one of the kind fields is set.
type emOptionW struct {
	ID                 string      `json:"id"`
	Name               string      `json:"name"`
	Price              *moneyW     `json:"price"`
	Enabled            bool        `json:"enabled"`
	SubscriptionPeriod string      `json:"subscription_period"`
	Manageable         bool        `json:"manageable"`
	OsID               string      `json:"os_id"`
	License            *licenseW   `json:"license,omitempty"`
	PublicBandwidth    *bandwidthW `json:"public_bandwidth,omitempty"`
	PrivateNetwork     *bandwidthW `json:"private_network,omitempty"`
	RemoteAccess       *struct{}   `json:"remote_access,omitempty"`
	Certification      *struct{}   `json:"certification,omitempty"`
}

type licenseW struct {
	OsID string `json:"os_id"`
}

type bandwidthW struct {
	BandwidthInBps uint64 `json:"bandwidth_in_bps"`
}

// emStock is the stock of offer o in zone: a SetStock override, else the
// recorded value; a dark zone has nothing to deliver.
func (s *Sim) emStock(o emOffer, zone string) string {
	if !s.env.Reachable(simcore.Outside, simcore.At(zone)) {
		return "empty"
	}
	if v, ok := s.w.Stock[stockKey(o.Name, zone)]; ok {
		return v
	}
	return o.Stock
}

func stockKey(offer, placement string) string {
	return strings.ToUpper(offer) + "@" + strings.ToLower(placement)
}

func (s *Sim) emOfferWire(o emOffer, zone string) emOfferW {
	w := emOfferW{
		ID: o.ID, Name: o.Name, Stock: s.emStock(o, zone), Bandwidth: o.Bandwidth,
		MaxBandwidth: o.MaxBandwidth, CommercialRange: o.Range, Enable: true,
		QuotaName: o.quotaName(), PersistentMemories: []struct{}{}, RaidControllers: []struct{}{},
		SubscriptionPeriod: "hourly", Fee: eur(0), PrivateBandwidth: o.PrivBandwidth,
		SharedBandwidth: true, Tags: strings.Fields(o.Tags), Gpus: []emGPUW{}, Zone: zone,
		PricePerHour: eur(o.MilliEURPerHour), IncompatibleOsIDs: []string{},
	}
	if o.monthly {
		w.SubscriptionPeriod, w.PricePerHour, w.PricePerMonth = "monthly", nil, eur(o.MilliEURPerHour*730)
	} else if o.MonthlyID != "" {
		id := o.MonthlyID
		w.MonthlyOfferID = &id
	}
	for i := 0; i < o.Disks; i++ {
		w.Disks = append(w.Disks, emDiskW{Capacity: o.DiskBytes, Type: o.DiskType})
	}
	for i := 0; i < o.Sockets; i++ {
		w.CPUs = append(w.CPUs, emCPUW{Name: o.CPU, CoreCount: o.Cores, ThreadCount: o.Threads, Frequency: o.MHz, Benchmark: o.Bench})
	}
	w.Memories = []emMemW{{Capacity: o.MemGB * giga, Type: o.MemType, Frequency: o.MemMHz, IsEcc: true}}
	for i := 0; i < o.GPUs; i++ {
		w.Gpus = append(w.Gpus, emGPUW{Name: o.GPU, Vram: o.VRAM})
	}
	for _, os := range emOSes {
		if o.incompatibleWith(os.Code) {
			w.IncompatibleOsIDs = append(w.IncompatibleOsIDs, os.ID)
		}
	}
	w.Options = emOfferOptions(o)
	return w
}

const noOS = "00000000-0000-0000-0000-000000000000"

// publicBandwidthOptions are the recorded public bandwidth upgrades.
var publicBandwidthOptions = []struct {
	id    string
	gbps  uint64
	milli int64
}{
	{"9ce714f1-ed03-4e3b-8c69-d46957ab0ebb", 1, 28}, {"b92d36c0-9754-4678-9efd-096e4244e798", 2, 274},
	{"a905e3e8-690a-4822-9c90-21418a44aa76", 3, 411}, {"b37af8cf-8b18-4349-a063-64e9c3d50124", 4, 548},
	{"e0063872-115b-413e-bbf9-fff7eeca1065", 5, 685}, {"31f5cddb-8217-4eb0-ac6a-96dbcb080b88", 10, 1233},
	{"4ce8bd16-0c16-479d-83bb-492b5f9072fa", 15, 1644}, {"b0a352ae-8aa0-4397-b702-ecfe9563b47b", 20, 1918},
	{"ad1b86f2-4ae4-49f9-a826-a782e8d492f3", 25, 2055},
}

// emOfferOptions builds an offer's options the way the recorded list shows
// them: remote access, private network at the offer's private bandwidth,
// HDS, a Windows licence where Windows runs, and public bandwidth upgrades.
func emOfferOptions(o emOffer) []emOptionW {
	hourly := func(id, name string, milli int64) emOptionW {
		return emOptionW{ID: id, Name: name, Price: eur(milli), SubscriptionPeriod: "hourly", Manageable: true, OsID: noOS}
	}
	var out []emOptionW
	ra := hourly("931df052-d713-4674-8b58-96a63244c8e2", "Remote Access", 990)
	if o.Range == "labs" {
		ra = hourly("50f266d9-4b2e-4424-9824-9335e7c3d32d", "Serial Console", 0)
	}
	ra.RemoteAccess = &struct{}{}
	pnPrice := map[uint64]int64{giga: 30, 10 * giga: 60, 25 * giga: 90}[o.PrivBandwidth]
	pn := hourly("cd4158d7-2d65-49be-8803-c4b8ab6f760c", "Private Network", pnPrice)
	pn.PrivateNetwork = &bandwidthW{BandwidthInBps: o.PrivBandwidth}
	out = append(out, ra, pn)
	if o.Range != "labs" {
		hds := emOptionW{ID: "31f78309-e6e0-4005-99b3-b3de3958ca7d", Name: "HDS", Price: eur(15000), SubscriptionPeriod: "monthly", OsID: noOS, Certification: &struct{}{}}
		out = append(out, hds)
	}
	if !o.incompatibleWith("win22") {
		win := "bf705b90-1548-4368-98ca-d17dbd8dd860"
		out = append(out, emOptionW{ID: "83a8fb91-47b4-4c20-82f9-84c31d79bfd8", Name: "Windows 2022 standard", Price: eur(25200), SubscriptionPeriod: "monthly", OsID: win, License: &licenseW{OsID: win}})
	}
	for _, pb := range publicBandwidthOptions {
		if bps := pb.gbps * giga; bps > o.Bandwidth && bps <= o.MaxBandwidth {
			opt := hourly(pb.id, "Public Bandwidth "+itoa(pb.gbps)+"Gbps", pb.milli)
			opt.PublicBandwidth = &bandwidthW{BandwidthInBps: bps}
			out = append(out, opt)
		}
	}
	return out
}

// listEMOffers serves ListOffers: unknown_subscription_period (what the SDK
// sends by default) is no filter and lists the hourly offers, as recorded;
// "monthly" lists the monthly twins.
func (s *Sim) listEMOffers(r *http.Request, _ time.Time) (any, error) {
	zone, err := emZone(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	period := q.Get("subscription_period")
	switch period {
	case "", "unknown_subscription_period", "hourly", "monthly":
	default:
		return nil, invalidArg("subscription_period", "constraint", "must be hourly or monthly")
	}
	var all []emOfferW
	for _, o := range emOffers {
		if period == "monthly" {
			o = o.monthlyTwin()
		}
		if n := q.Get("name"); n != "" && !strings.EqualFold(n, o.Name) {
			continue
		}
		all = append(all, s.emOfferWire(o, zone))
	}
	lo, hi, err := page(r, len(all))
	if err != nil {
		return nil, err
	}
	return map[string]any{"offers": nonNil(all[lo:hi]), "total_count": len(all)}, nil
}

func (s *Sim) getEMOffer(r *http.Request, _ time.Time) (any, error) {
	zone, err := emZone(r)
	if err != nil {
		return nil, err
	}
	id, err := pathUUID(r, "offer_id")
	if err != nil {
		return nil, err
	}
	o, ok := emOfferByID(id)
	if !ok {
		return nil, notFound("offer", id)
	}
	return s.emOfferWire(o, zone), nil
}
