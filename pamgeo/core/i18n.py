"""Words a briefing reader sees, in Bahasa Indonesia (default) and English."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "kecamatan": {"id": "Kecamatan", "en": "Kecamatan (district)"},
    "kelurahan": {"id": "Kelurahan", "en": "Kelurahan (village)"},
    "tps": {"id": "TPS", "en": "Polling stations (TPS)"},
    "tps_id": {"id": "ID TPS (Sirekap)", "en": "TPS id (Sirekap)"},
    "tps_no": {"id": "Nomor TPS", "en": "TPS number"},
    "n_tps": {"id": "Jumlah TPS", "en": "Number of TPS"},
    "n_khusus": {"id": "TPS lokasi khusus", "en": "Special-location TPS"},
    "n_kelurahan": {"id": "Jumlah kelurahan", "en": "Number of kelurahan"},
    "total": {"id": "Jumlah", "en": "Total"},
    "position_source": {"id": "Sumber posisi", "en": "Position source"},
    "estimated": {"id": "perkiraan", "en": "estimated"},
    "approximate": {"id": "perkiraan kasar", "en": "approximate"},
    "file": {"id": "dari berkas", "en": "from file"},
    "file_repaired": {"id": "dari berkas (diperbaiki)", "en": "from file (repaired)"},
    "surveyed": {"id": "hasil survei", "en": "surveyed"},
    "khusus": {"id": "lokasi khusus", "en": "special location"},
    "regular": {"id": "reguler", "en": "regular"},
    "police_posts": {"id": "Satuan Polri (Polres/Polsek)", "en": "Police units (Polres/Polsek)"},
    "unit": {"id": "Satuan", "en": "Unit"},
    "status": {"id": "Status", "en": "Status"},
    "roads_major": {"id": "Jalan utama", "en": "Main roads"},
    "roads_minor": {"id": "Jalan lingkungan", "en": "Local streets"},
    "waterways": {"id": "Sungai dan saluran", "en": "Rivers and canals"},
    "kelurahan_boundaries": {"id": "Batas kelurahan", "en": "Kelurahan boundaries"},
    "online_tiles": {"id": "Peta dasar OSM (perlu internet)", "en": "OSM base map (needs internet)"},
    "legend": {"id": "Legenda", "en": "Legend"},
    "briefing_title": {"id": "Briefing Pengamanan TPS", "en": "TPS Security Briefing"},
    "overview_title": {"id": "Ringkasan Wilayah", "en": "Region Overview"},
    "index_title": {"id": "Daftar Briefing", "en": "Briefing Index"},
    "estimated_note_streets": {
        "id": "Posisi TPS pada peta ini adalah PERKIRAAN: tidak ada daftar koordinat TPS publik. "
              "Jumlah TPS per kelurahan sesuai data KPU; titiknya disebar di jalan permukiman "
              "kelurahan tersebut. Gunakan untuk gambaran sebaran, bukan untuk menuju lokasi.",
        "en": "TPS positions on this map are ESTIMATES: no public TPS coordinate list exists. "
              "TPS counts per kelurahan follow KPU; the points are spread along the kelurahan's "
              "residential streets. Use them for the overall picture, not to navigate.",
    },
    "estimated_note_uniform": {
        "id": "Posisi TPS pada peta ini adalah PERKIRAAN: tidak ada daftar koordinat TPS publik. "
              "Jumlah TPS per kelurahan sesuai data KPU; titiknya disebar acak merata di dalam "
              "kelurahan (tidak ada data jalan). Gunakan untuk gambaran jumlah, bukan untuk menuju lokasi.",
        "en": "TPS positions on this map are ESTIMATES: no public TPS coordinate list exists. "
              "TPS counts per kelurahan follow KPU; the points are spread at random inside the "
              "kelurahan (no road data). Use them for the counts, not to navigate.",
    },
    "estimated_short": {
        "id": "Posisi TPS: PERKIRAAN (bukan koordinat resmi)",
        "en": "TPS positions: ESTIMATED (not official coordinates)",
    },
    "approx_police_note": {
        "id": "Lokasi satuan Polri adalah perkiraan kasar (di dalam kelurahan tempatnya).",
        "en": "Police unit locations are approximate (inside their kelurahan).",
    },
    "attribution": {"id": "Sumber data", "en": "Data sources"},
    "generated": {"id": "Dibuat", "en": "Generated"},
    "election": {"id": "Pemilihan", "en": "Election"},
    "tps_per_kelurahan": {"id": "TPS per kelurahan", "en": "TPS per kelurahan"},
    "tps_per_kecamatan": {"id": "TPS per kecamatan", "en": "TPS per kecamatan"},
    "open": {"id": "buka", "en": "open"},
    "failed": {"id": "GAGAL", "en": "FAILED"},
    "ok": {"id": "selesai", "en": "done"},
    "report_status": {"id": "Status", "en": "Status"},
    "map": {"id": "Peta", "en": "Map"},
    "address": {"id": "Alamat", "en": "Address"},
    "risk_class": {"id": "Kelas kerawanan", "en": "Risk class"},
    "class_source": {"id": "Sumber kelas", "en": "Class source"},
    "risk_score": {"id": "Skor risiko (0-1)", "en": "Risk score (0-1)"},
    "risk_reasons": {"id": "Alasan", "en": "Reasons"},
    "pocket": {"id": "Kantong kerawanan", "en": "Risk pocket"},
    "pockets": {"id": "Kantong kerawanan", "en": "Risk pockets"},
    "dominant_reasons": {"id": "Faktor dominan", "en": "Main factors"},
    "tps_per_class": {"id": "TPS per kelas kerawanan", "en": "TPS per risk class"},
    "rawan_list": {"id": "TPS rawan dan sangat rawan beserta alasannya",
                   "en": "Vulnerable and highly vulnerable TPS with their reasons"},
    "none": {"id": "tidak ada", "en": "none"},
    "catchment": {"id": "Wilayah rayon", "en": "Rayon catchment"},
    "method_administrative": {"id": "administratif", "en": "administrative"},
    "method_voronoi": {"id": "Voronoi", "en": "Voronoi"},
    "method_travel_time": {"id": "waktu tempuh jalan", "en": "road travel time"},
    "isochrones": {"id": "Waktu tempuh cadangan (menit)", "en": "Reserve travel time (minutes)"},
    "column": {"id": "Kolom", "en": "Column"},
    "meaning": {"id": "Arti (en)", "en": "Meaning"},
    "kode_kel": {"id": "Kode kelurahan", "en": "Kelurahan code"},
    "kode_kec": {"id": "Kode kecamatan", "en": "Kecamatan code"},
    "item": {"id": "Butir", "en": "Item"},
    "per_tps": {"id": "Per TPS", "en": "Per TPS"},
    "sheet_tps": {"id": "TPS", "en": "TPS"},
    "sheet_columns": {"id": "Kolom", "en": "Columns"},
    "strength_sheet": {"id": "kekuatan", "en": "strength"},
    "pattern_sheet": {"id": "pola", "en": "pattern"},
    "files": {"id": "Berkas (Excel, QGIS)", "en": "Files (Excel, QGIS)"},
    "minutes": {"id": "menit", "en": "min"},
    "routes": {"id": "Rute cadangan ke TPS rawan", "en": "Reserve routes to vulnerable TPS"},
    "staging": {"id": "Titik siaga peleton cadangan", "en": "Reserve peleton staging point"},
    "response_min": {"id": "Waktu tempuh cadangan", "en": "Reserve travel time"},
    "unreachable": {"id": "tidak terjangkau jalan", "en": "unreachable by road"},
    "personnel": {"id": "Kebutuhan personel", "en": "Personnel needed"},
    "measure": {"id": "Ukur jarak", "en": "Measure distance"},
    "measure_stop": {"id": "Selesai ukur", "en": "Stop measuring"},
    "measure_hint": {"id": "klik titik-titik di peta", "en": "click points on the map"},
    "map_old_browser": {"id": "Peta tidak dapat dibuka di peramban ini. Buka berkas ini dengan Chrome, Edge "
                                "atau Firefox versi 2023 ke atas (tanpa internet pun bisa).",
                        "en": "This browser cannot open the map. Open this file in Chrome, Edge or Firefox "
                              "from 2023 or later (no internet needed)."},
    "map_title": {"id": "Peta briefing", "en": "Briefing map"},
    "print_png": {"id": "peta cetak (PNG)", "en": "print map (PNG)"},
    "print_pdf": {"id": "peta cetak (PDF)", "en": "print map (PDF)"},
    "search": {"id": "Cari ID TPS atau kelurahan", "en": "Search TPS id or kelurahan"},
    "not_found": {"id": "tidak ditemukan", "en": "not found"},
    "fullscreen": {"id": "Layar penuh", "en": "Full screen"},
    "fullscreen_exit": {"id": "Keluar dari layar penuh", "en": "Exit full screen"},
    "flood_class": {"id": "Kerawanan banjir", "en": "Flood exposure"},
    "flood_reasons": {"id": "Bukti banjir", "en": "Flood evidence"},
    "flood_corridors": {"id": "Koridor sungai (banjir)", "en": "River corridors (flood)"},
    "flood_hazard": {"id": "Bahaya banjir (model/poligon)", "en": "Flood hazard (model/polygons)"},
    "lakes": {"id": "Situ", "en": "Lakes (situ)"},
    "flood_events": {"id": "Laporan banjir", "en": "Flood reports"},
    "flooded_roads": {"id": "Jalan tergenang (kelas tinggi)", "en": "Flooded roads (high class)"},
    "access_cut": {"id": "Akses TPS terputus banjir", "en": "TPS access cut by flood"},
    "detour": {"id": "jalan memutar", "en": "detour"},
    "not_modelled": {"id": "di luar model", "en": "not modelled"},
    "date": {"id": "Tanggal", "en": "Date"},
    "depth": {"id": "Kedalaman", "en": "Depth"},
    "flood_per_kelurahan": {"id": "Kerawanan banjir TPS per kelurahan", "en": "TPS flood exposure per kelurahan"},
    "flood_per_kecamatan": {"id": "Kerawanan banjir TPS per kecamatan", "en": "TPS flood exposure per kecamatan"},
    "flood_note": {
        "id": "Kelas banjir dari koridor sungai, daftar kelurahan rawan banjir BPBD, situ, laporan banjir, poligon "
              "dan model bahaya; kelas tertinggi yang dipakai. Jalan dianggap tertutup hanya bila ada bukti kedalaman "
              "(laporan, poligon, model). 'Di luar model' berarti tidak dimodelkan, bukan aman.",
        "en": "Flood classes from river corridors, BPBD flood-prone kelurahan, lakes, flood reports, hazard polygons "
              "and models; the highest applies. A road counts as closed only on depth evidence (reports, polygons, "
              "models). 'Not modelled' means not modelled, not safe.",
    },
    "strength": {"id": "Kebutuhan dibanding kekuatan tersedia", "en": "Needed against available strength"},
    "preset": {"id": "Pola pengamanan", "en": "Deployment pattern"},
    "beyond_response": {"id": "TPS rawan di luar waktu tanggap", "en": "Vulnerable TPS beyond the response time"},
    "needed": {"id": "Dibutuhkan", "en": "Needed"},
    "available": {"id": "Tersedia", "en": "Available"},
    "shortfall": {"id": "Kekurangan", "en": "Shortfall"},
    "polri_tps": {"id": "Polri di TPS", "en": "Polri at TPS"},
    "reserve_peleton": {"id": "Peleton cadangan (1 per rayon)", "en": "Reserve peleton (1 per rayon)"},
    "polri_total": {"id": "Jumlah Polri", "en": "Polri total"},
    "tni": {"id": "TNI", "en": "TNI"},
    "linmas": {"id": "Linmas", "en": "Linmas"},
    "rounding_note": {
        "id": "Pembulatan: TPS dikelompokkan per kelurahan, kelompok yang tidak penuh tetap mendapat satu tim "
              "(mis. 9 TPS kurang rawan dengan pola 2 Polri per 8 TPS = 2 kelompok = 4 Polri). Linmas: 2 per TPS "
              "(PKPU 8/2022) bila pola tidak menyebutkan.",
        "en": "Rounding: TPS are grouped within each kelurahan and a part group gets a full team (e.g. 9 kurang "
              "rawan TPS at 2 Polri per 8 TPS = 2 groups = 4 Polri). Linmas: 2 per TPS (PKPU 8/2022) unless the "
              "pattern says otherwise.",
    },
    "computed": {"id": "dihitung pamgeo", "en": "computed by pamgeo"},
    "official": {"id": "resmi", "en": "official"},
    "risk_method_note": {
        "id": "Kelas kerawanan dihitung pamgeo dari jarak ke sungai, kelurahan rawan banjir (BPBD), jarak ke "
              "satuan Polri, kepadatan TPS dan TPS lokasi khusus (bobot dan ambang di berkas konfigurasi wilayah). "
              "Kelas resmi Polri, bila ada di daftar TPS, selalu dipakai.",
        "en": "Risk classes are computed by pamgeo from the distance to rivers, flood-prone kelurahan (BPBD), the "
              "distance to police units, TPS density and special-location TPS (weights and thresholds in the region "
              "config). An official Polri class in the TPS list always wins.",
    },
    # Polda and national pages (pamgeo.render.polda, pamgeo.render.national)
    "polda_title": {"id": "Briefing Pengamanan TPS Tingkat Polda", "en": "Polda TPS Security Briefing"},
    "polda_headline": {"id": "Angka utama", "en": "Headline numbers"},
    "polda_by_class": {"id": "TPS per kelas kerawanan", "en": "TPS by risk class"},
    "polda_polri_needed": {"id": "Personel Polri dibutuhkan", "en": "Polri personnel needed"},
    "polda_incl_reserve": {"id": "termasuk cadangan", "en": "incl. reserve"},
    "polda_reserve": {"id": "Cadangan (peleton)", "en": "Reserve (peleton)"},
    "polda_available": {"id": "Personel Polri tersedia", "en": "Polri personnel available"},
    "polda_shortfall": {"id": "Kekurangan", "en": "Shortfall"},
    "polda_flood": {"id": "TPS terpapar banjir", "en": "TPS exposed to flooding"},
    "polda_flood_short": {"id": "TPS banjir", "en": "Flood TPS"},
    "flood_tinggi": {"id": "tinggi", "en": "high"},
    "flood_sedang": {"id": "sedang", "en": "medium"},
    "flood_rendah": {"id": "rendah", "en": "low"},
    "polda_pockets": {"id": "Kantong TPS rawan", "en": "Pockets with rawan TPS"},
    "polda_pockets_short": {"id": "Kantong rawan", "en": "Rawan pockets"},
    "polda_estimated": {"id": "TPS dengan posisi perkiraan", "en": "TPS with estimated positions"},
    "polda_estimated_short": {"id": "Posisi perkiraan", "en": "Estimated"},
    "polda_left_out": {"id": "tidak dimuat", "en": "left out"},
    "polda_briefings": {"id": "Briefing Polres", "en": "Polres briefings"},
    "polda_per_polres": {"id": "Per Polres", "en": "Per Polres"},
    "polda_map": {"id": "Peta Polda", "en": "Polda map"},
    "polda_figure": {"id": "Angka", "en": "Figure"},
    "polda_date": {"id": "Tanggal", "en": "Date"},
    "polda_source": {"id": "Sumber", "en": "Source"},
    "polda_personnel": {"id": "Personel", "en": "Personnel"},
    "polda_reported": {"id": "Dilaporkan", "en": "Reported"},
    "polda_reported_title": {"id": "Dibandingkan dengan angka yang dilaporkan", "en": "Against the reported figures"},
    "polda_this_run": {"id": "pamgeo (perhitungan ini)", "en": "pamgeo (this run)"},
    "polda_this_run_source": {"id": "KPU via KawalPemilu; kelas dihitung pamgeo; Polri = kebutuhan",
                              "en": "KPU via KawalPemilu; classes computed by pamgeo; Polri = needed"},
    "polda_reported_note": {
        "id": "Baris 'Dilaporkan' adalah angka yang diumumkan Polda (sesuai tanggal dan sumbernya), bukan hasil "
              "pamgeo. Kolom Polri baris pamgeo adalah kebutuhan menurut pola pengamanan, bukan jumlah yang diturunkan.",
        "en": "'Reported' rows are figures the Polda announced (as of their date and source), not pamgeo results. "
              "The Polri column of the pamgeo row is the need under the deployment pattern, not the strength fielded.",
    },
    "polda_method_note": {
        "id": "Kelas kerawanan dihitung pamgeo dari lapisan yang tersedia per Polres: Polres tanpa data sungai, "
              "satuan Polri dan banjir hanya mendapat kelas kurang rawan dan lokasi khusus. Posisi TPS adalah "
              "perkiraan. Cadangan: rencana rayon Polres, atau satu peleton per wilayah Polres tanpa rencana rayon.",
        "en": "Risk classes are computed by pamgeo from the layers available per Polres: a Polres without river, "
              "police-unit and flood data only gets kurang rawan and special-location classes. TPS positions are "
              "estimates. Reserve: the Polres's rayon plan, or one peleton per Polres area without a rayon plan.",
    },
    "polda_failed_runs": {"id": "Briefing yang gagal dibuat", "en": "Briefings that failed"},
    "measure_tps": {"id": "jumlah TPS", "en": "number of TPS"},
    "measure_rawan": {"id": "TPS rawan dan sangat rawan", "en": "rawan and sangat rawan TPS"},
    "measure_shortfall": {"id": "kekurangan personel", "en": "personnel shortfall"},
    "measure_polri_needed": {"id": "personel Polri dibutuhkan", "en": "Polri personnel needed"},
    "measure_flood": {"id": "TPS terpapar banjir", "en": "TPS exposed to flooding"},
    "national_title": {"id": "Gambaran Nasional TPS", "en": "National TPS Picture"},
    "national_per_polda": {"id": "Per Polda", "en": "Per Polda"},
    "national_per_province": {"id": "Per provinsi", "en": "Per province"},
    "national_per_kabkota": {"id": "Per kabupaten/kota", "en": "Per kab/kota"},
    "national_no_polygon": {"id": "Kecamatan dengan TPS tanpa poligon", "en": "Kecamatan with TPS but no polygon"},
    "national_no_polygon_note": {
        "id": "Kecamatan ini ada di data TPS tetapi tidak ada poligonnya (kode berubah sejak 2024, kecamatan baru, "
              "luar negeri). TPS-nya tetap dihitung di semua jumlah; hanya tidak tergambar di peta.",
        "en": "These kecamatan have TPS but no polygon (codes changed since 2024, new kecamatan, overseas). Their "
              "TPS are counted in every total; they are only not drawn on the map.",
    },
    "national_kabkota_no_polygon": {"id": "Kab/kota tanpa poligon", "en": "Kab/kota without a polygon"},
    "national_preset_note": {
        "id": "Kebutuhan personel menurut pola {preset}: semua TPS reguler dihitung kurang rawan dan TPS 901+ "
              "lokasi khusus (data nasional tidak memuat kelas kerawanan); kelompok dibulatkan per desa.",
        "en": "Personnel needed under the {preset} pattern: every regular TPS counted kurang rawan and TPS 901+ as "
              "special locations (the national counts carry no risk classes); groups rounded up per desa.",
    },
    "national_polda_run": {"id": "Briefing Polda", "en": "Polda briefing"},
    "national_accounted": {"id": "Seluruh TPS", "en": "All TPS"},
    "polri_needed": {"id": "Polri dibutuhkan", "en": "Polri needed"},
    "linmas_needed": {"id": "Linmas dibutuhkan", "en": "Linmas needed"},
    "n_desa": {"id": "Desa/kelurahan", "en": "Desa/kelurahan"},
    "provinsi": {"id": "Provinsi", "en": "Province"},
    "kabkota": {"id": "Kabupaten/kota", "en": "Kab/kota"},
}


def t(key: str, lang: str = "id") -> str:
    """Label ``key`` in ``lang`` (``"id"`` or ``"en"``); unknown keys are returned unchanged."""
    entry = LABELS.get(key)
    if entry is None:
        return key
    return entry.get(lang) or entry["id"]
