// French labels of site fields and procedures (the API speaks English and CNIG).

export const PROCEDURES_FR: Record<string, string> = {
  P1: "Examen au cas par cas",
  P2: "Inventaires faune-flore (4 saisons)",
  P3: "Étude d'impact et avis de l'autorité environnementale",
  P4: "Diagnostic d'archéologie préventive",
  P5: "Fouilles archéologiques",
  P6: "Autorisation environnementale",
  P7a: "Enregistrement ICPE",
  P7b: "Déclaration ICPE",
  P7c: "Déclaration loi sur l'eau",
  P8: "Mise en compatibilité du PLU",
  P9: "Permis de construire",
  P10: "Purge du permis de construire",
  P11: "Purge de l'autorisation environnementale",
  P12: "Raccordement électrique",
};

export const PROC_STATUS: Record<string, string> = {
  done: "fait",
  in_progress: "en cours",
  todo: "à faire",
  not_needed: "non nécessaire",
};

export const FIELD_GROUPS: [string, [string, string][]][] = [
  [
    "Identification",
    [
      ["site_id", "Identifiant"],
      ["kind", "Type"],
      ["site_type", "Type de friche"],
      ["site_statut", "Statut"],
      ["comm_nom", "Commune"],
      ["comm_insee", "Code INSEE"],
      ["epci_siren", "EPCI (SIREN)"],
      ["site_adresse", "Adresse"],
      ["published", "Publié"],
      ["site_identif_date", "Identifié le"],
      ["site_actu_date", "Mis à jour le"],
    ],
  ],
  [
    "Foncier",
    [
      ["area_m2", "Surface (calculée)"],
      ["unite_fonciere_surface", "Surface de l'unité foncière (m²)"],
      ["unite_fonciere_refcad", "Parcelles cadastrales"],
      ["terr_m2_prix", "Prix (€/m²)"],
      ["available_from", "Disponible à partir du"],
      ["proprio_type", "Type de propriétaire"],
      ["proprio_nom", "Propriétaire"],
      ["terr_cle_en_main", "Clé en main"],
    ],
  ],
  [
    "Bâti",
    [
      ["bati_type", "Type de bâti"],
      ["bati_nombre", "Nombre de bâtiments"],
      ["bati_surface", "Surface bâtie (m²)"],
      ["bati_etat", "État"],
      ["bati_vacance", "Vacance"],
      ["bati_patrimoine", "Patrimoine"],
    ],
  ],
  [
    "Réseaux et accès",
    [
      ["power_mw", "Puissance électrique (MW)"],
      ["water_m3_day", "Eau (m³/jour)"],
      ["reseau_electrique", "Électricité"],
      ["reseau_gaz", "Gaz"],
      ["reseau_eau_potable", "Eau potable"],
      ["reseau_assainissement", "Assainissement"],
      ["reseau_fibre_optique", "Fibre optique"],
      ["reseau_fret_ferroviaire", "Embranchement ferroviaire"],
      ["reseau_fluvial", "Voie d'eau"],
      ["autoroute_echang_dist", "Échangeur autoroutier (km)"],
      ["gare_fret_dist", "Gare de fret (km)"],
      ["port_dist", "Port (km)"],
      ["aeroport_dist", "Aéroport (km)"],
    ],
  ],
  [
    "Pollution",
    [
      ["sol_pollution_existe", "Pollution des sols"],
      ["sol_pollution_origine", "Origine"],
      ["sol_pollution_annee", "Année"],
      ["sol_pollution_commentaire", "Commentaire"],
      ["bati_pollution", "Pollution du bâti"],
    ],
  ],
  [
    "Urbanisme et activité",
    [
      ["urba_doc_type", "Document d'urbanisme"],
      ["urba_zone_type", "Zone"],
      ["urba_zone_lib", "Libellé de zone"],
      ["urba_zaer", "Zone d'accélération ENR"],
      ["activite_libelle", "Ancienne activité"],
      ["activite_fin_annee", "Fin d'activité"],
    ],
  ],
  [
    "Source",
    [
      ["source_nom", "Source"],
      ["source_producteur", "Producteur"],
      ["source_url", "Lien"],
    ],
  ],
];

export const ACTIONS_FR: Record<string, string> = {
  create: "création",
  update: "modification",
  delete: "suppression",
  import: "import",
};
