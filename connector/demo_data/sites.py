"""Named sites of the demo territory, on real approximate coordinates (CRS84): the measuring stations (river
gauges, rain gauges, tide gauges, piezometers), the bridges, and the facilities that matter in a flood (hospitals,
Seveso sites, heritage, rescue centres…). Identifiers follow the real schemes' shapes (Sandre station codes,
Météo-France station numbers, BSS codes, FINESS, UAI) but are synthetic: none designates a real record."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Gauge:
    id: str
    name: str
    river: str  # a key of Territory.rivers
    lon: float  # near the river: the station is placed on the river's line (Territory.on_river)
    lat: float
    # hydrology of the synthetic series: base flow and flood peak (m³/s), lag of the peak (hours after the
    # Loire's), tidal amplitude factor (0 upstream of the tide), gauge datum (m NGF)
    base_flow: float
    peak_flow: float
    lag_h: float
    tide: float
    datum: float
    region: str = "estuaire"


RIVER_GAUGES: tuple[Gauge, ...] = (
    Gauge("M800001010", "La Loire à Thouaré-sur-Loire", "Loire", -1.447, 47.259, 850, 4300, -10, 0.35, 0.0),
    Gauge("M800002010", "La Loire à Nantes [Salorges]", "Loire", -1.575, 47.198, 860, 4350, 0, 0.9, -0.5),
    Gauge("M800003010", "La Loire au Pellerin", "Loire", -1.760, 47.206, 870, 4400, 4, 1.0, -1.0),
    Gauge("M800004010", "La Loire à Cordemais", "Loire", -1.870, 47.262, 880, 4450, 7, 1.0, -1.5),
    Gauge("M800005010", "La Loire à Paimbœuf", "Loire", -2.030, 47.300, 890, 4500, 9, 1.0, -2.0),
    Gauge("M730001010", "L'Erdre à Nantes [Saint-Félix]", "Erdre", -1.552, 47.226, 8, 62, -30, 0.0, 2.0),
    Gauge("M740001010", "La Sèvre nantaise à Vertou", "Sèvre nantaise", -1.470, 47.164, 18, 290, -36, 0.2, 0.5),
    Gauge("M813001010", "L'Acheneau à Port-Saint-Père", "Acheneau", -1.750, 47.138, 6, 45, -24, 0.0, 1.0),
    Gauge("M840001010", "Le Brivet à Montoir-de-Bretagne", "Brivet", -2.152, 47.335, 3, 28, -20, 0.0, 0.5),
    Gauge("L870001010", "La Maine à Angers", "Maine", -0.560, 47.475, 110, 950, -6, 0.0, 10.5, "angers"),
    Gauge("L860001010", "La Loire aux Ponts-de-Cé", "Loire (Angers)", -0.525, 47.420, 700, 3600, -30, 0.0, 12.0,
          "angers"),
)


@dataclass(frozen=True)
class RainGauge:
    id: str  # Météo-France station number: département, commune, serial
    name: str
    lon: float
    lat: float
    altitude: int


RAIN_GAUGES: tuple[RainGauge, ...] = (
    RainGauge("44020001", "NANTES-BOUGUENAIS", -1.6083, 47.1500, 26),
    RainGauge("44103001", "SAINT-NAZAIRE-MONTOIR", -2.1567, 47.3106, 3),
    RainGauge("44109002", "NANTES-CENTRE", -1.5560, 47.2250, 12),
    RainGauge("44045001", "CORDEMAIS", -1.8770, 47.2900, 30),
    RainGauge("44061001", "FROSSAY", -1.9350, 47.2450, 18),
    RainGauge("44158001", "SAINT-ETIENNE-DE-MONTLUC", -1.7810, 47.2770, 38),
    RainGauge("44215001", "VERTOU", -1.4700, 47.1690, 20),
    RainGauge("44116001", "PAIMBOEUF", -2.0310, 47.2860, 6),
    RainGauge("44154001", "SAINT-BREVIN", -2.1670, 47.2460, 8),
)


@dataclass(frozen=True)
class TideGauge:
    id: str
    name: str
    lon: float
    lat: float
    amplitude: float  # factor on the Saint-Nazaire tide
    lag_min: float  # minutes after Saint-Nazaire


TIDE_GAUGES: tuple[TideGauge, ...] = (
    TideGauge("SHOM-37", "Saint-Nazaire", -2.2020, 47.2660, 1.0, 0),
    TideGauge("GPM-DONGES", "Donges", -2.0700, 47.3040, 1.03, 25),
    TideGauge("GPM-CORDEMAIS", "Cordemais", -1.8700, 47.2700, 1.05, 55),
    TideGauge("GPM-NANTES", "Nantes (Usine Brûlée)", -1.6200, 47.2020, 1.12, 105),
)


@dataclass(frozen=True)
class Piezometer:
    id: str  # BSS code shape
    name: str
    lon: float
    lat: float
    depth: float  # mean depth of the water table (m below ground)


PIEZOMETERS: tuple[Piezometer, ...] = (
    Piezometer("BSS001XQAA", "Rezé — Trentemoult (alluvions de la Loire)", -1.5900, 47.1950, 1.8),
    Piezometer("BSS001XQBB", "Bouguenais — Les Couëts", -1.6000, 47.1900, 3.5),
    Piezometer("BSS001XQCC", "Couëron — Port-Launay", -1.7800, 47.2160, 1.2),
    Piezometer("BSS001XQDD", "Donges — marais", -2.0300, 47.3200, 0.8),
    Piezometer("BSS001XQEE", "Saint-Herblain — plateau", -1.6500, 47.2350, 6.5),
    Piezometer("BSS001XQFF", "Frossay — Migron", -1.9200, 47.2500, 1.5),
)


@dataclass(frozen=True)
class Bridge:
    name: str
    river: str
    lon: float
    lat: float
    manager: str  # state | departement | metropole
    road: str


BRIDGES: tuple[Bridge, ...] = (
    Bridge("Pont de Saint-Nazaire", "Loire", -2.1700, 47.2700, "departement", "D213"),
    Bridge("Pont de Cheviré", "Loire", -1.6150, 47.2000, "state", "N844"),
    Bridge("Pont de Bellevue", "Loire", -1.4790, 47.2270, "state", "N844"),
    Bridge("Pont Anne-de-Bretagne", "Loire (bras de la Madeleine)", -1.5640, 47.2070, "metropole", "voie communale"),
    Bridge("Pont de Pirmil", "Loire", -1.5480, 47.1950, "metropole", "voie communale"),
    Bridge("Pont des Trois-Continents", "Loire", -1.5700, 47.1970, "metropole", "voie communale"),
    Bridge("Pont Haudaudine", "Loire (bras de la Madeleine)", -1.5500, 47.2090, "metropole", "voie communale"),
    Bridge("Pont de Thouaré", "Loire", -1.4400, 47.2620, "departement", "D37"),
    Bridge("Pont de la Sèvre à Vertou", "Sèvre nantaise", -1.4700, 47.1640, "departement", "D59"),
    Bridge("Pont de Pont-Rousseau", "Sèvre nantaise", -1.5300, 47.1920, "departement", "D178"),
    Bridge("Pont de l'Erdre (périphérique)", "Erdre", -1.5450, 47.2850, "state", "N844"),
    Bridge("Pont de la Motte-Rouge", "Erdre", -1.5530, 47.2330, "metropole", "voie communale"),
    Bridge("Pont de l'Acheneau à Buzay", "Acheneau", -1.8100, 47.2130, "departement", "D80"),
    Bridge("Pont de l'Acheneau à Port-Saint-Père", "Acheneau", -1.7500, 47.1360, "departement", "D758"),
    Bridge("Pont du Brivet à Méan", "Brivet", -2.1700, 47.2980, "departement", "D100"),
    Bridge("Pont du Brivet à Montoir", "Brivet", -2.1520, 47.3350, "departement", "D50"),
    Bridge("Pont de la Chézine", "Chézine", -1.6100, 47.2190, "metropole", "voie communale"),
    Bridge("Pont de Verdun (Angers)", "Maine", -0.5560, 47.4700, "metropole", "voie communale"),
    Bridge("Pont de la Basse-Chaîne (Angers)", "Maine", -0.5590, 47.4780, "metropole", "voie communale"),
    Bridge("Pont de Bouchemaine", "Maine", -0.6080, 47.4160, "departement", "D111"),
    Bridge("Pont Dumnacus (Les Ponts-de-Cé)", "Loire (Angers)", -0.5250, 47.4200, "departement", "D160"),
)


@dataclass(frozen=True)
class Facility:
    name: str
    kind: str
    lon: float
    lat: float
    code: str = ""
    capacity: int = 0
    extra: str = ""  # a detail by kind (Seveso threshold, heritage protection, equipment…)


HOSPITALS: tuple[Facility, ...] = (
    Facility("CHU de Nantes — Hôtel-Dieu", "Centre hospitalier universitaire", -1.5535, 47.2117, "440000289", 1150),
    Facility("CHU de Nantes — Hôpital Nord Laennec", "Centre hospitalier universitaire", -1.6320, 47.2580,
             "440000297", 720),
    Facility("Clinique Jules Verne", "Établissement de santé privé", -1.5190, 47.2310, "440000313", 260),
    Facility("Centre hospitalier de Saint-Nazaire", "Centre hospitalier", -2.2360, 47.2850, "440000057", 780),
    Facility("Hôpital privé du Confluent", "Établissement de santé privé", -1.5210, 47.1990, "440000321", 420),
    Facility("EHPAD Les Bords de Loire (Rezé)", "EHPAD", -1.5830, 47.1930, "440001457", 86),
    Facility("EHPAD de Trentemoult", "EHPAD", -1.5960, 47.1960, "440001465", 72),
    Facility("EHPAD La Vallée (Couëron)", "EHPAD", -1.7300, 47.2130, "440001473", 64),
    Facility("EHPAD du Pellerin", "EHPAD", -1.7540, 47.2000, "440001481", 58),
    Facility("EHPAD de Paimbœuf", "EHPAD", -2.0300, 47.2880, "440001499", 70),
    Facility("Foyer d'accueil médicalisé de Donges", "Foyer d'accueil médicalisé", -2.0770, 47.3170,
             "440001507", 40),
    Facility("EHPAD Méan-Penhoët (Saint-Nazaire)", "EHPAD", -2.1950, 47.2920, "440001515", 80),
    Facility("CHU d'Angers", "Centre hospitalier universitaire", -0.5530, 47.4800, "490000031", 1400),
)
SEVESO: tuple[Facility, ...] = (
    Facility("Raffinerie de Donges", "Raffinage de pétrole", -2.0700, 47.3100, "0062.00001", extra="Seveso seuil haut"),
    Facility("Terminal méthanier de Montoir-de-Bretagne", "Stockage de gaz naturel liquéfié", -2.1400, 47.3000,
             "0062.00002", extra="Seveso seuil haut"),
    Facility("Usine d'engrais de Montoir", "Fabrication d'engrais", -2.1300, 47.3060, "0062.00003",
             extra="Seveso seuil haut"),
    Facility("Dépôt pétrolier de Nantes-Cheviré", "Stockage d'hydrocarbures", -1.6250, 47.1980, "0062.00004",
             extra="Seveso seuil bas"),
    Facility("Centrale thermique de Cordemais", "Production d'électricité", -1.8740, 47.2760, "0062.00005",
             extra="ICPE autorisation"),
    Facility("Chantiers navals de Saint-Nazaire", "Construction navale", -2.2000, 47.2900, "0062.00006",
             extra="ICPE autorisation"),
    Facility("Usine aéronautique de Saint-Nazaire", "Construction aéronautique", -2.1750, 47.3080, "0062.00007",
             extra="ICPE autorisation"),
    Facility("Silo portuaire de Montoir", "Stockage de céréales", -2.1580, 47.2960, "0062.00008",
             extra="ICPE enregistrement"),
    Facility("Usine de traitement des déchets de Couëron", "Traitement de déchets", -1.7400, 47.2160, "0062.00009",
             extra="ICPE autorisation"),
)
HERITAGE: tuple[Facility, ...] = (
    Facility("Château des ducs de Bretagne", "Monument historique classé", -1.5497, 47.2161, "PA00108659",
             extra="musée d'histoire"),
    Facility("Cathédrale Saint-Pierre-et-Saint-Paul de Nantes", "Monument historique classé", -1.5513, 47.2180,
             "PA00108675"),
    Facility("Musée d'arts de Nantes", "Musée de France", -1.5470, 47.2190, "M0491"),
    Facility("Île Feydeau (immeubles d'armateurs)", "Monument historique inscrit", -1.5560, 47.2120, "PA00108800"),
    Facility("Hangar à bananes", "Patrimoine portuaire", -1.5720, 47.2020, "PA44000001"),
    Facility("Musée Jules-Verne", "Musée de France", -1.5800, 47.2040, "M0492"),
    Facility("Village de pêcheurs de Trentemoult", "Site patrimonial remarquable", -1.5930, 47.1960, "SPR44143"),
    Facility("Base sous-marine de Saint-Nazaire", "Patrimoine militaire", -2.2030, 47.2750, "PA44000002"),
    Facility("Écomusée de Saint-Nazaire", "Musée de France", -2.2050, 47.2720, "M0493"),
    Facility("Phare de Paimbœuf", "Monument historique inscrit", -2.0330, 47.2900, "PA44000003"),
    Facility("Église Saint-Symphorien de Couëron", "Monument historique inscrit", -1.7270, 47.2150, "PA44000004"),
    Facility("Château d'Angers", "Monument historique classé", -0.5600, 47.4700, "PA00108875"),
)
RESCUE: tuple[Facility, ...] = (
    Facility("CIS Nantes-Chantenay", "Centre d'incendie et de secours", -1.5900, 47.2080, "CIS44-01", 85,
             "embarcations, moto-pompes"),
    Facility("CIS Nantes-Saint-Jacques", "Centre d'incendie et de secours", -1.5380, 47.1990, "CIS44-02", 70,
             "embarcations"),
    Facility("CIS Rezé", "Centre d'incendie et de secours", -1.5650, 47.1800, "CIS44-03", 55, "moto-pompes"),
    Facility("CIS Saint-Herblain", "Centre d'incendie et de secours", -1.6500, 47.2250, "CIS44-04", 60, ""),
    Facility("CIS Couëron", "Centre d'incendie et de secours", -1.7250, 47.2200, "CIS44-05", 30, "embarcation"),
    Facility("CIS Le Pellerin", "Centre d'incendie et de secours", -1.7530, 47.1980, "CIS44-06", 25, ""),
    Facility("CIS Paimbœuf", "Centre d'incendie et de secours", -2.0300, 47.2850, "CIS44-07", 20, "embarcation"),
    Facility("CIS Donges", "Centre d'incendie et de secours", -2.0760, 47.3200, "CIS44-08", 35,
             "risques technologiques"),
    Facility("CIS Saint-Nazaire", "Centre d'incendie et de secours", -2.2150, 47.2800, "CIS44-09", 90,
             "embarcations, plongeurs"),
    Facility("Direction départementale du SDIS 44", "État-major", -1.6000, 47.2300, "SDIS44", 0, "CODIS"),
)
POLICE: tuple[Facility, ...] = (
    Facility("Hôtel de police de Nantes", "Police nationale", -1.5560, 47.2150, "DDSP44-01", 900),
    Facility("Commissariat de Rezé", "Police nationale", -1.5680, 47.1820, "DDSP44-02", 80),
    Facility("Commissariat de Saint-Herblain", "Police nationale", -1.6480, 47.2260, "DDSP44-03", 90),
    Facility("Commissariat de Saint-Nazaire", "Police nationale", -2.2120, 47.2790, "DDSP44-04", 180),
    Facility("Brigade de gendarmerie de Couëron", "Gendarmerie nationale", -1.7240, 47.2180, "GGD44-01", 18),
    Facility("Brigade de gendarmerie du Pellerin", "Gendarmerie nationale", -1.7560, 47.1970, "GGD44-02", 14),
    Facility("Brigade de gendarmerie de Paimbœuf", "Gendarmerie nationale", -2.0330, 47.2840, "GGD44-03", 12),
    Facility("Brigade de gendarmerie de Donges", "Gendarmerie nationale", -2.0740, 47.3210, "GGD44-04", 14),
    Facility("Brigade fluviale de Nantes", "Gendarmerie nationale", -1.5750, 47.2030, "GGD44-05", 10,
             "embarcations"),
)
SENSITIVE_SITES: tuple[Facility, ...] = (
    Facility("Camping de la Loire (Nantes)", "camping", -1.5150, 47.2220, "CAMP-01", 450),
    Facility("Camping du Pellerin", "camping", -1.7600, 47.2000, "CAMP-02", 180),
    Facility("Camping de Paimbœuf", "camping", -2.0250, 47.2890, "CAMP-03", 220),
    Facility("Camping de Mindin (Saint-Brevin)", "camping", -2.1700, 47.2540, "CAMP-04", 600),
    Facility("Gymnase de l'Île de Nantes", "gymnase (hébergement d'urgence)", -1.5600, 47.2010, "GYM-01", 250),
    Facility("Gymnase Léo-Lagrange (Rezé)", "gymnase (hébergement d'urgence)", -1.5700, 47.1780, "GYM-02", 200),
    Facility("Salle des sports de Couëron", "gymnase (hébergement d'urgence)", -1.7240, 47.2200, "GYM-03", 150),
    Facility("Complexe sportif de Donges", "gymnase (hébergement d'urgence)", -2.0760, 47.3220, "GYM-04", 150),
    Facility("Centre d'hébergement d'urgence de Nantes", "hébergement d'urgence", -1.5400, 47.2200, "CHU-01", 120),
    Facility("Centre d'hébergement d'urgence de Saint-Nazaire", "hébergement d'urgence", -2.2100, 47.2820,
             "CHU-02", 80),
)
