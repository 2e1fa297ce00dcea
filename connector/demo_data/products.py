"""What each géo-concept's demo dataset is: a French title and description, the kind of file (vector layer,
grid, table, real-time feed) and its name, and the values of the sheet's criteria that depend on the product
rather than on the provider — update frequency (C3), how it is produced (C4), precision (C8), the data standard it
follows (C10), ISO topic category and keywords (C1). Values are what a real producer would declare for such a
product, adjusted where the demo file differs (a 0.0025° grid is not a 1 m terrain model: the sheet says what the
file is). The areas the datasets cover are defined here too."""

from __future__ import annotations

from dataclasses import dataclass, field

from .geography import ANGERS, ESTUARY, BBox

VECTOR, GRID, TABLE, FEED = "vector", "grid", "table", "feed"


@dataclass(frozen=True)
class Product:
    title: str
    description: str
    kind: str  # vector | grid | table | feed
    file: str  # file name in the dataset's folder ("" for a feed)
    frequency: str  # EU frequency code
    origin: str  # JNT origin code (catalog.vocabularies.ORIGINS)
    scale: int | None = None
    resolution: float | None = None  # metres
    standard: str = ""
    standard_iri: str | None = None
    topic: str = "environment"  # ISO 19115 topic category
    keywords: tuple[str, ...] = ()
    temporal: str | None = None  # xsd:duration of the time step, for series
    precision_text: str | None = None


TG = "https://inspire.ec.europa.eu/id/document/tg/"
PPR = "https://cnig.gouv.fr/ressources/geostandards/risques-ppr/v1.0.1"
DI = "https://cnig.gouv.fr/ressources/geostandards/directive-inondation"

PRODUCTS: dict[str, Product] = {
    "GC001": Product("Modèle numérique de terrain", "Altitudes du sol (m NGF-IGN69) sur une grille régulière, "
                     "issues du RGE ALTI® rééchantillonné pour la démonstration.", GRID, "mnt-estuaire.zip",
                     "IRREG", "leve", resolution=190.0, standard="RGE ALTI® — descriptif de contenu",
                     topic="elevation", keywords=("MNT", "altimétrie", "relief"),
                     precision_text="grille de 0,0025° (environ 190 × 280 m) ; produit source : 1 m et 5 m"),
    "GC002": Product("Dalles LiDAR HD (nuages de points classés)", "Tableau d'assemblage des dalles LiDAR HD "
                     "d'un kilomètre couvrant la plaine inondable, avec le nom du fichier COPC de chaque dalle.",
                     VECTOR, "dalles-lidar-hd.geojson", "IRREG", "leve", resolution=0.5,
                     standard="LiDAR HD — descriptif de contenu", topic="elevation",
                     keywords=("LiDAR", "nuage de points", "MNS")),
    "GC003": Product("Modèle numérique terre-mer", "Altitudes et profondeurs (m NGF-IGN69) continues de la terre "
                     "à la mer, chenal de navigation compris.", GRID, "mnt-terre-mer.zip", "NOT_PLANNED", "leve",
                     resolution=115.0, standard="Litto3D® — spécifications", topic="elevation",
                     keywords=("bathymétrie", "topographie", "littoral"),
                     precision_text="grille de 0,0015° (environ 115 × 165 m) ; produit source : 1 m"),
    "GC004": Product("Profils en travers topo-bathymétriques", "Profils en travers du lit (lignes 3D, altitudes "
                     "en m NGF-IGN69) tous les 2 km, avec date et méthode de levé.", VECTOR,
                     "profils-en-travers.geojson", "ANNUAL", "leve", scale=2000,
                     standard="Levés bathymétriques — prescriptions du SHOM", topic="inlandWaters",
                     keywords=("bathymétrie", "profil en travers", "lit mineur")),
    "GC005": Product("Cours d'eau", "Cours d'eau principaux avec leur code hydrographique.", VECTOR,
                     "cours-d-eau.geojson", "ANNUAL", "numerisation", scale=5000,
                     standard="BD TOPAGE® — référentiel hydrographique (Sandre)", standard_iri=TG + "hy",
                     topic="inlandWaters", keywords=("hydrographie", "cours d'eau")),
    "GC006": Product("Tronçons hydrographiques", "Cours d'eau découpés en tronçons d'environ 2 km, avec largeur "
                     "et sens d'écoulement.", VECTOR, "troncons-hydrographiques.geojson", "ANNUAL", "numerisation",
                     scale=5000, standard="BD TOPAGE® — référentiel hydrographique (Sandre)",
                     standard_iri=TG + "hy", topic="inlandWaters", keywords=("hydrographie", "tronçon")),
    "GC007": Product("Bassins versants topographiques", "Bassins versants des cours d'eau principaux.", VECTOR,
                     "bassins-versants.geojson", "ANNUAL", "derive", scale=25000,
                     standard="BD TOPAGE® — référentiel hydrographique (Sandre)", standard_iri=TG + "hy",
                     topic="inlandWaters", keywords=("bassin versant", "hydrographie")),
    "GC008": Product("Plans d'eau et surfaces en eau", "Lits en eau, lacs, plans d'eau et mares des marais.",
                     VECTOR, "plans-d-eau.geojson", "ANNUAL", "teledetection", scale=5000,
                     standard="BD TOPAGE® — référentiel hydrographique (Sandre)", standard_iri=TG + "hy",
                     topic="inlandWaters", keywords=("plan d'eau", "marais")),
    "GC009": Product("Stations hydrométriques", "Référentiel des stations de mesure des hauteurs et débits, "
                     "avec zéro d'échelle et influence de la marée.", VECTOR, "stations-hydrometriques.geojson",
                     "AS_NEEDED", "declaratif", scale=10000, standard="Sandre — référentiel des stations "
                     "hydrométriques", standard_iri=TG + "ef", topic="inlandWaters",
                     keywords=("station hydrométrique", "Hydroportail")),
    "GC010": Product("Hauteurs et débits en temps réel", "Flux temps réel des observations (hauteur d'eau, débit) "
                     "des stations hydrométriques, une observation par station toutes les deux secondes "
                     "(cadence accélérée de démonstration ; 5 à 60 min en service).", FEED, "",
                     "CONT", "mesure-capteur", resolution=1.0, standard="Hub'Eau — API hydrométrie "
                     "(observations temps réel)", topic="inlandWaters",
                     keywords=("temps réel", "hauteur d'eau", "débit", "flux"), temporal="PT2S",
                     precision_text="hauteur au millimètre, débit au centième de m³/s"),
    "GC011": Product("Hauteurs et débits observés (chroniques horaires)", "Hauteurs d'eau et débits horaires "
                     "validés aux stations, du 10 janvier au 8 février 2026, crue de la Loire comprise.", TABLE,
                     "chroniques-hydrometriques.csv", "DAILY", "mesure-capteur", resolution=1.0,
                     standard="Sandre — format des données hydrométriques", topic="inlandWaters",
                     keywords=("chronique", "hauteur d'eau", "débit", "crue"), temporal="PT1H"),
    "GC012": Product("Vigilance crues", "Tronçons de vigilance crues et leur couleur au pic de l'épisode.",
                     VECTOR, "vigilance-crues.geojson", "CONT", "modelisation", scale=50000,
                     standard="Sandre — Vigilance crues", topic="inlandWaters",
                     keywords=("Vigicrues", "vigilance", "tronçon")),
    "GC013": Product("Prévisions de hauteurs aux stations", "Prévisions de hauteurs d'eau à 72 heures émises le "
                     "21 janvier 2026 à 6 h UTC, avec quantiles 10 % et 90 %.", TABLE, "previsions-hauteurs.csv",
                     "HOURLY", "modelisation", resolution=1.0, standard="Vigicrues — prévisions aux stations",
                     topic="inlandWaters", keywords=("prévision", "hauteur d'eau"), temporal="PT1H"),
    "GC014": Product("Zones d'inondation potentielle (ZIP / ZICH)", "Zones inondées pour cinq hauteurs d'eau à "
                     "la station de Nantes, avec leurs bandes d'incertitude.", VECTOR,
                     "zones-inondation-potentielle.geojson", "AS_NEEDED", "modelisation", scale=25000,
                     standard="Cartographie des ZIP — guide SCHAPI", topic="environment",
                     keywords=("ZIP", "ZICH", "cartographie de crise")),
    "GC015": Product("Lame d'eau radar", "Cumul de pluie estimé par radar (mm) sur les 72 heures du front "
                     "principal de l'épisode.", GRID, "lame-d-eau-radar.zip", "5MIN", "teledetection",
                     resolution=1000.0, standard="Météo-France — lame d'eau PANTHERE",
                     topic="climatologyMeteorologyAtmosphere", keywords=("radar", "cumul de pluie")),
    "GC016": Product("Pluviométrie horaire aux stations", "Cumuls horaires de pluie (mm) aux pluviomètres, du "
                     "10 janvier au 8 février 2026.", TABLE, "pluviometrie-horaire.csv", "HOURLY",
                     "mesure-capteur", resolution=1.0, standard="Météo-France — données climatologiques "
                     "horaires", topic="climatologyMeteorologyAtmosphere", keywords=("pluie", "pluviomètre"),
                     temporal="PT1H"),
    "GC017": Product("Prévisions de précipitations AROME", "Cumul de pluie prévu (mm) à 48 heures par le modèle "
                     "AROME, échéance du 21 janvier 2026 6 h UTC.", GRID, "prevision-arome.zip", "HOURLY",
                     "modelisation", resolution=2500.0, standard="Météo-France — AROME 0,025°",
                     topic="climatologyMeteorologyAtmosphere", keywords=("prévision", "AROME", "pluie")),
    "GC018": Product("Humidité des sols (SIM2)", "Pluie journalière et indice d'humidité des sols (SWI) sur "
                     "une grille d'environ 8 km.", TABLE, "humidite-sols-sim2.csv", "DAILY", "modelisation",
                     resolution=8000.0, standard="Météo-France — chaîne SAFRAN-ISBA-MODCOU",
                     topic="climatologyMeteorologyAtmosphere", keywords=("humidité des sols", "SWI"),
                     temporal="P1D"),
    "GC019": Product("Niveaux marins observés", "Hauteurs d'eau observées aux marégraphes (m, zéro "
                     "hydrographique), surcote de l'épisode comprise.", TABLE, "niveaux-marins.csv", "10MIN",
                     "mesure-capteur", resolution=1.0, standard="REFMAR — données marégraphiques",
                     topic="oceans", keywords=("marégraphe", "marée", "surcote"), temporal="PT10M"),
    "GC020": Product("Niveaux marins extrêmes", "Niveaux extrêmes de pleine mer (périodes de retour 10 à "
                     "1000 ans) et surcotes le long de l'estuaire.", VECTOR, "niveaux-extremes.geojson",
                     "NOT_PLANNED", "modelisation", scale=25000, standard="Statistiques des niveaux marins "
                     "extrêmes (SHOM-Cerema)", topic="oceans", keywords=("niveaux extrêmes", "submersion")),
    "GC021": Product("Niveaux des nappes (piézométrie)", "Profondeur journalière de la nappe aux piézomètres "
                     "sur un an.", TABLE, "piezometrie.csv", "DAILY", "mesure-capteur", resolution=1.0,
                     standard="ADES — données piézométriques", topic="geoscientificInformation",
                     keywords=("nappe", "piézomètre"), temporal="P1D"),
    "GC022": Product("Zones sensibles aux remontées de nappes", "Zones potentiellement sujettes aux débordements "
                     "de nappe et aux inondations de cave.", VECTOR, "remontees-de-nappes.geojson", "NOT_PLANNED",
                     "modelisation", scale=100000, standard="BRGM — cartographie des remontées de nappes",
                     topic="geoscientificInformation", keywords=("remontée de nappe",)),
    "GC023": Product("Occupation du sol à grande échelle", "Occupation du sol (nomenclature OCS GE) en "
                     "polygones.", VECTOR, "ocsge.geojson", "BIENNIAL", "teledetection", scale=10000,
                     standard="OCS GE — nomenclature nationale", standard_iri=TG + "lc",
                     topic="imageryBaseMapsEarthCover", keywords=("occupation du sol", "OCS GE")),
    "GC024": Product("Corine Land Cover", "Occupation des sols Corine Land Cover (codes de niveau 3).", VECTOR,
                     "corine-land-cover.geojson", "OTHER", "teledetection", scale=100000,
                     standard="CORINE Land Cover — nomenclature", standard_iri=TG + "lc",
                     topic="imageryBaseMapsEarthCover", keywords=("occupation du sol", "Corine")),
    "GC025": Product("Coefficients de rugosité (Strickler)", "Coefficients de Strickler de la plaine inondable, "
                     "dérivés de l'occupation du sol et du calage des modèles.", VECTOR,
                     "coefficients-strickler.geojson", "AS_NEEDED", "derive", scale=10000,
                     standard="Note méthodologique de rugosité du bureau d'études", topic="inlandWaters",
                     keywords=("rugosité", "Strickler", "modélisation hydraulique")),
    "GC026": Product("Sols et perméabilité", "Unités cartographiques de sols, sol dominant, perméabilité et "
                     "réserve utile.", VECTOR, "sols-permeabilite.geojson", "NOT_PLANNED", "leve", scale=250000,
                     standard="Référentiel régional pédologique (GIS Sol)", standard_iri=TG + "so",
                     topic="geoscientificInformation", keywords=("sols", "perméabilité")),
    "GC027": Product("Carte géologique à 1/50 000", "Formations géologiques (alluvions, socle) en polygones.",
                     VECTOR, "geologie.geojson", "NOT_PLANNED", "leve", scale=50000,
                     standard="BD Charm-50 — carte géologique harmonisée", standard_iri=TG + "ge",
                     topic="geoscientificInformation", keywords=("géologie", "alluvions")),
    "GC028": Product("Ouvrages hydrauliques et digues", "Digues de la Loire et des affluents : classe, hauteur, "
                     "gestionnaire et état.", VECTOR, "digues.geojson", "ANNUAL", "leve", scale=5000,
                     standard="SIOUH — système d'information des ouvrages hydrauliques", topic="inlandWaters",
                     keywords=("digue", "ouvrage hydraulique", "sûreté")),
    "GC029": Product("Systèmes d'endiguement", "Systèmes d'endiguement autorisés (GEMAPI) : digues, niveau de "
                     "protection et zones protégées.", VECTOR, "systemes-endiguement.geojson", "AS_NEEDED",
                     "declaratif", scale=5000, standard="Décret n° 2015-526 (systèmes d'endiguement)",
                     topic="inlandWaters", keywords=("GEMAPI", "système d'endiguement", "zone protégée")),
    "GC030": Product("Obstacles à l'écoulement", "Seuils, barrages, écluses et vannes sur les cours d'eau, avec "
                     "hauteur de chute et franchissabilité.", VECTOR, "obstacles-ecoulement.geojson", "ANNUAL",
                     "leve", scale=5000, standard="Référentiel des obstacles à l'écoulement (ROE, Sandre)",
                     topic="inlandWaters", keywords=("ROE", "seuil", "continuité écologique")),
    "GC031": Product("Barrages et ouvrages de régulation", "Barrages, écluses et vannages de régulation des "
                     "affluents, avec volume de retenue.", VECTOR, "barrages.geojson", "ANNUAL", "declaratif",
                     scale=10000, standard="Référentiel des barrages (SIOUH)", topic="inlandWaters",
                     keywords=("barrage", "écluse", "vannage")),
    "GC032": Product("Ponts et ouvrages de franchissement", "Ponts franchissant les cours d'eau : longueur, "
                     "tirant d'air, cote d'intrados, piles en lit.", VECTOR, "ponts.geojson", "ANNUAL", "leve",
                     scale=2000, standard="Référentiel des ouvrages d'art", standard_iri=TG + "tn",
                     topic="transportation", keywords=("pont", "ouvrage d'art", "franchissement")),
    "GC033": Product("Réseau d'assainissement pluvial", "Collecteurs pluviaux et exutoires (diamètre, matériau, "
                     "année de pose, clapets).", VECTOR, "reseau-pluvial.geojson", "ANNUAL", "leve", scale=2000,
                     standard="Géostandard CNIG réseaux d'assainissement (RAEPA)", topic="utilitiesCommunication",
                     keywords=("assainissement", "eaux pluviales", "exutoire")),
    "GC034": Product("Bassins de rétention et ouvrages d'eaux pluviales", "Bassins de rétention, bassins "
                     "enterrés et noues : volume et débit de fuite.", VECTOR, "bassins-retention.geojson", "ANNUAL",
                     "leve", scale=2000, standard="Géostandard CNIG réseaux d'assainissement (RAEPA)",
                     topic="utilitiesCommunication", keywords=("bassin de rétention", "eaux pluviales")),
    "GC035": Product("Hydrogrammes de référence", "Hydrogrammes de projet (périodes de retour 10, 30, 100 et "
                     "1000 ans) au pas de 3 heures sur 10 jours.", TABLE, "hydrogrammes-reference.csv",
                     "AS_NEEDED", "modelisation", resolution=1.0, standard="Guide méthodologique des débits de "
                     "référence (DGPR)", topic="inlandWaters", keywords=("hydrogramme", "débit de référence", "Q100"),
                     temporal="PT3H"),
    "GC036": Product("Repères de crues et plus hautes eaux connues", "Repères de crues historiques (1910, 1936, "
                     "1982, 1995, 1999, 2010) avec cote et support.", VECTOR, "reperes-de-crues.geojson",
                     "AS_NEEDED", "leve", scale=1000, standard="Plateforme nationale des repères de crues",
                     topic="inlandWaters", keywords=("repère de crue", "PHEC", "mémoire du risque")),
    "GC037": Product("Atlas des zones inondables", "Lits mineur, moyen et majeur déterminés par la méthode "
                     "hydrogéomorphologique.", VECTOR, "atlas-zones-inondables.geojson", "NOT_PLANNED",
                     "numerisation", scale=25000, standard="Cartographie des zones inondables — méthode "
                     "hydrogéomorphologique", standard_iri=TG + "nz", topic="environment",
                     keywords=("AZI", "zone inondable")),
    "GC038": Product("Maillage du modèle hydraulique 2D", "Maillage triangulaire du modèle hydraulique de "
                     "référence : cote du fond et coefficient de Strickler par maille.", VECTOR,
                     "maillage-modele-2d.geojson", "AS_NEEDED", "modelisation", resolution=150.0,
                     standard="Format d'échange de maillages du bureau d'études", topic="inlandWaters",
                     keywords=("modèle hydraulique", "maillage", "2D")),
    "GC039": Product("PPRI — zonage réglementaire", "Zones réglementaires rouge et bleue du plan de prévention "
                     "du risque inondation approuvé.", VECTOR, "ppri-zonage.geojson", "AS_NEEDED",
                     "modelisation", scale=5000, standard="CNIG Géostandards Risques — profil applicatif PPR "
                     "v1.0.1", standard_iri=PPR, topic="planningCadastre",
                     keywords=("PPRI", "zonage réglementaire", "inondation")),
    "GC040": Product("PPRI — zones d'aléa de référence", "Aléa de la crue de référence en quatre niveaux "
                     "(hauteur d'eau).", VECTOR, "ppri-alea.geojson", "AS_NEEDED", "modelisation", scale=5000,
                     standard="CNIG Géostandards Risques — profil applicatif PPR v1.0.1", standard_iri=PPR,
                     topic="environment", keywords=("PPRI", "aléa", "crue de référence")),
    "GC041": Product("PPRI — enjeux", "Zones urbanisées et établissements sensibles situés en zone inondable.",
                     VECTOR, "ppri-enjeux.geojson", "AS_NEEDED", "declaratif", scale=5000,
                     standard="CNIG Géostandards Risques — profil applicatif PPR v1.0.1", standard_iri=PPR,
                     topic="planningCadastre", keywords=("PPRI", "enjeux")),
    "GC042": Product("PPRI — périmètre et procédure", "Périmètre d'étude du PPRI et sa procédure GASPAR "
                     "(prescription, approbation, communes).", VECTOR, "ppri-perimetre.geojson", "AS_NEEDED",
                     "declaratif", scale=25000, standard="CNIG Géostandards Risques — profil applicatif PPR "
                     "v1.0.1", standard_iri=PPR, topic="planningCadastre", keywords=("PPRI", "GASPAR")),
    "GC043": Product("Périmètres des territoires à risque important d'inondation (TRI)", "Périmètres des TRI "
                     "de Nantes, de Saint-Nazaire et d'Angers.", VECTOR, "tri-perimetres.geojson", "NOT_PLANNED",
                     "declaratif", scale=25000, standard="CNIG Géostandard Directive inondation",
                     standard_iri=DI, topic="environment", keywords=("TRI", "directive inondation")),
    "GC044": Product("Surfaces inondables des TRI", "Surfaces inondables des scénarios fréquent, moyen et extrême.",
                     VECTOR, "tri-surfaces-inondables.geojson", "OTHER", "modelisation", scale=25000,
                     standard="CNIG Géostandard Directive inondation", standard_iri=DI, topic="environment",
                     keywords=("TRI", "scénario", "surface inondable")),
    "GC045": Product("Classes de hauteur d'eau des TRI", "Classes de hauteur et de vitesse du scénario moyen.",
                     VECTOR, "tri-hauteurs.geojson", "OTHER", "modelisation", scale=25000,
                     standard="CNIG Géostandard Directive inondation", standard_iri=DI, topic="environment",
                     keywords=("TRI", "hauteur d'eau")),
    "GC046": Product("Cartes des risques des TRI (enjeux)", "Enjeux exposés dans les surfaces inondables des TRI.",
                     VECTOR, "tri-enjeux.geojson", "OTHER", "declaratif", scale=25000,
                     standard="CNIG Géostandard Directive inondation", standard_iri=DI, topic="environment",
                     keywords=("TRI", "enjeux", "carte des risques")),
    "GC047": Product("Ouvrages protecteurs et zones de sur-aléa", "Digues protectrices et bandes de précaution "
                     "à l'arrière des ouvrages.", VECTOR, "ouvrages-protecteurs.geojson", "OTHER", "modelisation",
                     scale=25000, standard="CNIG Géostandard Directive inondation", standard_iri=DI,
                     topic="environment", keywords=("digue", "sur-aléa")),
    "GC048": Product("Enveloppes approchées des inondations potentielles (EAIP)", "Enveloppes des "
                     "débordements de cours d'eau et de la submersion marine.", VECTOR, "eaip.geojson",
                     "NOT_PLANNED", "modelisation", scale=100000, standard="EPRI — évaluation préliminaire des "
                     "risques d'inondation", topic="environment", keywords=("EAIP", "EPRI")),
    "GC049": Product("Zones basses du littoral", "Zones situées sous le niveau des plus hautes mers "
                     "astronomiques, ou moins d'un mètre au-dessus.", VECTOR, "zones-basses.geojson",
                     "NOT_PLANNED", "derive", scale=25000, standard="Cerema — zones basses littorales",
                     topic="oceans", keywords=("zones basses", "submersion marine")),
    "GC050": Product("Périmètres PAPI et SLGRI", "Périmètres des programmes d'actions de prévention des "
                     "inondations et stratégies locales.", VECTOR, "perimetres-papi-slgri.geojson", "AS_NEEDED",
                     "declaratif", scale=50000, standard="Cahier des charges PAPI 3", topic="planningCadastre",
                     keywords=("PAPI", "SLGRI")),
    "GC051": Product("Bâtiments", "Emprises des bâtiments : usage, nombre d'étages, hauteur, logements.", VECTOR,
                     "batiments.geojson", "QUARTERLY", "numerisation", scale=5000,
                     standard="BD TOPO® — descriptif de contenu", standard_iri=TG + "bu", topic="structure",
                     keywords=("bâtiment", "BD TOPO")),
    "GC052": Product("Fichiers fonciers (locaux)", "Locaux issus des fichiers fonciers : nature, niveau, "
                     "surface, année de construction.", VECTOR, "fichiers-fonciers.geojson", "ANNUAL",
                     "declaratif", scale=5000, standard="Fichiers fonciers — modèle du Cerema",
                     topic="planningCadastre", keywords=("foncier", "locaux", "MAJIC")),
    "GC053": Product("Parcellaire cadastral", "Parcelles cadastrales : section, numéro, contenance.", VECTOR,
                     "parcellaire.geojson", "QUARTERLY", "numerisation", scale=2000,
                     standard="Parcellaire Express (PCI) — descriptif de contenu", standard_iri=TG + "cp",
                     topic="planningCadastre", keywords=("cadastre", "parcelle")),
    "GC054": Product("Adresses", "Adresses géolocalisées (numéro, voie, commune).", VECTOR, "adresses.geojson",
                     "WEEKLY", "declaratif", scale=2000, standard="Base Adresse Nationale — format BAL 1.4",
                     standard_iri=TG + "ad", topic="location", keywords=("adresse", "BAN")),
    "GC055": Product("Population carroyée à 200 m", "Population, ménages et personnes de 65 ans et plus par "
                     "carreau de 200 m.", VECTOR, "population-carroyee.geojson", "OTHER", "derive", resolution=200.0,
                     standard="Filosofi — données carroyées", standard_iri=TG + "pd", topic="society",
                     keywords=("population", "carroyage")),
    "GC056": Product("IRIS", "Îlots regroupés pour l'information statistique.", VECTOR, "iris.geojson", "ANNUAL",
                     "declaratif", scale=25000, standard="Contours IRIS® — descriptif", standard_iri=TG + "su",
                     topic="boundaries", keywords=("IRIS", "unité statistique")),
    "GC057": Product("Écoles et établissements scolaires", "Établissements scolaires avec leurs effectifs.",
                     VECTOR, "etablissements-scolaires.geojson", "ANNUAL", "declaratif", scale=5000,
                     standard="Annuaire de l'éducation", topic="society", keywords=("école", "établissement "
                                                                                    "recevant du public")),
    "GC058": Product("Établissements de santé et médico-sociaux", "Établissements de santé et médico-sociaux "
                     "(FINESS) avec leur capacité.", VECTOR, "etablissements-sante.geojson", "MONTHLY", "declaratif",
                     scale=5000, standard="FINESS — répertoire des établissements", standard_iri=TG + "hh",
                     topic="health", keywords=("santé", "EHPAD", "hôpital")),
    "GC059": Product("Centres d'incendie et de secours", "Centres de secours, effectifs et moyens spécifiques "
                     "(embarcations, moto-pompes).", VECTOR, "centres-secours.geojson", "ANNUAL", "declaratif",
                     scale=5000, standard="Référentiel opérationnel du SDIS", topic="society",
                     keywords=("SDIS", "secours")),
    "GC060": Product("Police et gendarmerie", "Commissariats et brigades, effectifs et moyens nautiques.",
                     VECTOR, "police-gendarmerie.geojson", "ANNUAL", "declaratif", scale=5000,
                     standard="Référentiel des implantations du ministère de l'Intérieur", topic="society",
                     keywords=("police", "gendarmerie")),
    "GC061": Product("Postes et réseau électriques", "Postes sources, postes HTA/BT (cote de seuil, clients) et "
                     "lignes HTA.", VECTOR, "reseau-electrique.geojson", "QUARTERLY", "leve", scale=2000,
                     standard="Modèle de données réseaux du distributeur", topic="utilitiesCommunication",
                     keywords=("électricité", "poste", "HTA")),
    "GC062": Product("Réseau de distribution de gaz", "Conduites (pression, diamètre) et postes de détente.",
                     VECTOR, "reseau-gaz.geojson", "QUARTERLY", "leve", scale=2000,
                     standard="Modèle de données réseaux du distributeur", topic="utilitiesCommunication",
                     keywords=("gaz", "réseau")),
    "GC063": Product("Eau potable : usines, captages, réservoirs", "Usines de production, captages et "
                     "réservoirs d'eau potable.", VECTOR, "eau-potable.geojson", "ANNUAL", "leve", scale=5000,
                     standard="Géostandard CNIG réseaux d'eau potable (RAEPA)", topic="utilitiesCommunication",
                     keywords=("eau potable", "captage", "réservoir")),
    "GC064": Product("Stations d'épuration", "Stations de traitement des eaux usées : capacité, milieu "
                     "récepteur.", VECTOR, "stations-epuration.geojson", "ANNUAL", "declaratif", scale=5000,
                     standard="Sandre — dictionnaire des ouvrages de dépollution", standard_iri=TG + "pf",
                     topic="utilitiesCommunication", keywords=("STEU", "assainissement")),
    "GC065": Product("Gares et réseau ferré", "Ligne Nantes – Saint-Nazaire et ses gares.", VECTOR,
                     "reseau-ferre.geojson", "ANNUAL", "numerisation", scale=5000,
                     standard="Référentiel géographique du réseau ferré", standard_iri=TG + "tn",
                     topic="transportation", keywords=("voie ferrée", "gare")),
    "GC066": Product("Réseau routier", "Routes principales (gestionnaire, largeur, submersibilité).", VECTOR,
                     "reseau-routier.geojson", "QUARTERLY", "numerisation", scale=5000,
                     standard="BD TOPO® — thème transport", standard_iri=TG + "tn", topic="transportation",
                     keywords=("route", "voirie")),
    "GC067": Product("Télécommunications", "Supports d'antennes, centraux et artères de l'opérateur, "
                     "couverture.", VECTOR, "telecoms.geojson", "MONTHLY", "declaratif", scale=5000,
                     standard="Cartoradio — données des supports (ANFR)", topic="utilitiesCommunication",
                     keywords=("antenne", "télécommunications", "NRA")),
    "GC068": Product("Installations classées et sites Seveso", "Installations classées pour la protection de "
                     "l'environnement et sites Seveso.", VECTOR, "icpe-seveso.geojson", "MONTHLY", "declaratif",
                     scale=5000, standard="Géorisques — installations industrielles", standard_iri=TG + "pf",
                     topic="environment", keywords=("ICPE", "Seveso")),
    "GC069": Product("Hébergements d'urgence, gymnases et campings à risque", "Sites d'hébergement d'urgence et "
                     "campings, avec capacité et exposition.", VECTOR, "sites-sensibles.geojson", "ANNUAL",
                     "declaratif", scale=5000, standard="Référentiel ORSEC de la préfecture", topic="society",
                     keywords=("hébergement d'urgence", "camping", "ORSEC")),
    "GC070": Product("Patrimoine : monuments historiques et musées", "Monuments historiques, musées et sites "
                     "patrimoniaux exposés.", VECTOR, "patrimoine.geojson", "ANNUAL", "declaratif", scale=5000,
                     standard="Base Mérimée / Muséofile", topic="society", keywords=("patrimoine", "monument")),
    "GC071": Product("Arrêtés de catastrophe naturelle", "Arrêtés CatNat inondation par commune.", VECTOR,
                     "arretes-catnat.geojson", "MONTHLY", "declaratif", scale=100000,
                     standard="GASPAR — base des procédures", topic="environment",
                     keywords=("CatNat", "GASPAR")),
    "GC072": Product("Sinistralité assurée inondation (agrégée)", "Nombre et coût des sinistres inondation "
                     "agrégés par commune et par an ; moins de 5 sinistres : valeurs masquées.", VECTOR,
                     "sinistralite-inondation.geojson", "ANNUAL", "derive", scale=100000,
                     standard="Agrégation statistique de l'assureur", topic="economy",
                     keywords=("sinistralité", "assurance", "inondation")),
    "GC073": Product("Plans communaux de sauvegarde", "Points de rassemblement et secteurs d'évacuation des plans "
                     "communaux de sauvegarde.", VECTOR, "plans-communaux-sauvegarde.geojson", "AS_NEEDED",
                     "declaratif", scale=5000, standard="Guide PCS — Direction de la sécurité civile",
                     topic="society", keywords=("PCS", "évacuation", "point de rassemblement")),
    "GC074": Product("Orthophotographie", "Tableau d'assemblage des dalles BD ORTHO® de 5 km (20 cm, RVB et IRC), "
                     "avec le fichier JPEG 2000 de chaque dalle.", VECTOR, "dalles-ortho.geojson", "ANNUAL",
                     "teledetection", resolution=0.2, standard="BD ORTHO® — descriptif de contenu",
                     standard_iri=TG + "oi", topic="imageryBaseMapsEarthCover",
                     keywords=("orthophotographie", "image aérienne")),
}


@dataclass(frozen=True)
class Area:
    key: str
    label: str  # French, used in titles: "estuaire de la Loire (Nantes – Saint-Nazaire)"
    bbox: BBox
    region: str  # estuaire | angers | both
    territories: tuple[str, ...] = field(default_factory=tuple)  # INSEE codes of the communes it mainly covers


AREAS: dict[str, Area] = {a.key: a for a in (
    Area("estuaire", "estuaire de la Loire (Nantes – Saint-Nazaire)", ESTUARY, "estuaire"),
    Area("pays-de-la-loire", "Loire aval : estuaire et confluence de la Maine", (ESTUARY[0], ESTUARY[1], ANGERS[2],
                                                                                  ANGERS[3]), "both"),
    Area("nantes-metropole", "Nantes Métropole", (-1.82, 47.10, -1.38, 47.32), "estuaire"),
    Area("nantes", "Nantes", (-1.64, 47.17, -1.47, 47.30), "estuaire"),
    Area("carene", "agglomération de Saint-Nazaire (CARENE)", (-2.32, 47.22, -1.96, 47.42), "estuaire"),
    Area("embouchure", "embouchure de la Loire (Saint-Nazaire – Paimbœuf)", (-2.32, 47.20, -1.98, 47.34),
         "estuaire"),
    Area("rive-sud", "rive sud de l'estuaire (Pays de Retz)", (-2.25, 47.08, -1.60, 47.27), "estuaire"),
    Area("acheneau", "vallée de l'Acheneau", (-1.86, 47.08, -1.64, 47.24), "estuaire"),
    Area("angers", "Angers et la confluence Maine – Loire", ANGERS, "angers"),
    Area("ville-angers", "Angers", (-0.63, 47.42, -0.49, 47.53), "angers"),
)}

# The area of each provider's datasets; (provider, géo-concept) overrides the provider's default.
PROVIDER_AREAS = {
    "schapi": "pays-de-la-loire", "dreal-pdl": "pays-de-la-loire", "dgpr": "pays-de-la-loire",
    "ars-pdl": "pays-de-la-loire", "drac-pdl": "pays-de-la-loire", "ddt-49": "angers",
    "angers-loire-metropole": "angers", "ville-angers": "ville-angers", "nantes-metropole": "nantes-metropole",
    "ville-nantes": "nantes", "carene": "carene", "shom": "embouchure", "veolia-eau": "carene", "saur": "rive-sud",
}
DATASET_AREAS = {("egis-eau", "GC038"): "acheneau"}


def area_for(provider: str, geoconcept: str) -> Area:
    return AREAS[DATASET_AREAS.get((provider, geoconcept), PROVIDER_AREAS.get(provider, "estuaire"))]
