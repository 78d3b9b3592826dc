"""Words a briefing reader sees, in Bahasa Indonesia (default) and English, and numbers and
times formatted the way each language writes them (Babel's CLDR data: ``3.824`` and ``3,6 km``
in Indonesian, ``3,824`` and ``3.6 km`` in English; times in WIB)."""

from __future__ import annotations

import functools
import string
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from babel.dates import format_datetime
from babel.numbers import format_percent, get_decimal_symbol, get_group_symbol

#: Babel locale of each report language
LOCALES = {"id": "id_ID", "en": "en_GB"}
#: the time zone briefing times are given in (Western Indonesia Time)
TIMEZONE = ZoneInfo("Asia/Jakarta")
TIMEZONE_LABEL = "WIB"

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
    "unit_level": {"id": "Tingkat", "en": "Level"},
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
    "position_note": {"id": "Catatan posisi", "en": "Position note"},
    "position_check": {"id": "Cek posisi", "en": "Position check"},
    "account_list": {"id": "{n} TPS dalam daftar: {own} di posisinya sendiri, {repaired} diperbaiki, {estimated} "
                             "diperkirakan, {left_out} tidak dimasukkan",
                     "en": "{n} TPS in the list: {own} at their own position, {repaired} repaired, {estimated} "
                           "estimated, {left_out} left out"},
    "account_counts": {"id": "{n} TPS dari jumlah TPS per kelurahan (KPU): semua {n} di posisi perkiraan",
                       "en": "{n} TPS from the per-kelurahan counts (KPU): all {n} at estimated positions"},
    "validation_link": {"id": "tabel validasi per baris", "en": "row-by-row validation table"},
    "validation_title": {"id": "Validasi daftar TPS", "en": "TPS list validation"},
    "outcome": {"id": "Hasil", "en": "Outcome"},
    "outcome_left_out": {"id": "tidak dimasukkan", "en": "left out"},
    "outcome_estimated": {"id": "posisi diperkirakan", "en": "position estimated"},
    "outcome_repaired": {"id": "diperbaiki", "en": "repaired"},
    "outcome_kept": {"id": "dipakai", "en": "kept"},
    "severity": {"id": "Tingkat", "en": "Severity"},
    "row": {"id": "Baris", "en": "Row"},
    "rule": {"id": "Aturan", "en": "Rule"},
    "value": {"id": "Nilai", "en": "Value"},
    "message": {"id": "Keterangan", "en": "Message"},
    "fix": {"id": "Perbaikan", "en": "Fix"},
    "no_findings": {"id": "Tidak ada temuan: setiap baris lolos pemeriksaan.",
                    "en": "No findings: every row passed the checks."},
    "position_check_title": {"id": "TPS dengan titik di kelurahan lain (kelurahan tertulis dipakai)",
                             "en": "TPS whose point lies in another kelurahan (the stated one is kept)"},
    "no_position_check": {"id": "Tidak ada TPS dengan titik di kelurahan lain.",
                          "en": "No TPS has its point in another kelurahan."},
    "coverage_none_roads": {"id": "Tidak ada data jalan: rayon waktu tempuh, waktu respons cadangan dan akses "
                                  "banjir tidak dihitung.",
                            "en": "No road data: travel-time rayons, the reserve's response time and flood "
                                  "access were not computed."},
    "coverage_part_roads": {"id": "Data jalan hanya mencakup {share} wilayah: waktu tempuh di luar cakupan itu "
                                  "tidak dapat dipercaya.",
                            "en": "Road data covers only {share} of the region: travel times outside it cannot "
                                  "be trusted."},
    "coverage_none_police_posts": {"id": "Tidak ada data satuan Polri: jarak ke Polri, rayon dan waktu respons "
                                         "tidak dihitung.",
                                   "en": "No police unit data: distance to police, rayons and response times "
                                         "were not computed."},
    "coverage_none_waterways": {"id": "Tidak ada data sungai: jarak ke sungai dan koridor banjir tidak dihitung.",
                                "en": "No waterway data: river distance and flood corridors were not computed."},
    "coverage_part_waterways": {"id": "Data sungai hanya mencakup {share} wilayah: TPS di luar cakupan itu tidak "
                                      "dinilai dekat sungai.",
                                "en": "Waterway data covers only {share} of the region: TPS outside it are not "
                                      "assessed for river proximity."},
    "coverage_none_flood": {"id": "Tidak ada data bahaya banjir (poligon, raster, daftar BPBD): kelas banjir "
                                  "hanya dari jarak ke sungai.",
                            "en": "No flood hazard data (polygons, rasters, BPBD lists): flood classes come from "
                                  "river distance only."},
    "coverage_part_flood_rasters": {"id": "Raster bahaya banjir hanya mencakup {share} wilayah (di luar itu: "
                                          "tidak dimodelkan).",
                                    "en": "Flood hazard rasters cover only {share} of the region (outside it: not "
                                          "modelled)."},
    "classes_official": {"id": "kelas kerawanan resmi", "en": "official risk classes"},
    "classes_computed": {"id": "kelas kerawanan dihitung pamgeo", "en": "risk classes computed by pamgeo"},
    "hl_title": {"id": "Angka utama", "en": "Key figures"},
    "hl_classes": {"id": "TPS menurut kelas", "en": "TPS by class"},
    "hl_classes_value": {"id": "{high} rawan/sangat rawan dari {n} TPS", "en": "{high} vulnerable of {n} TPS"},
    "hl_strength": {"id": "Personel Polri", "en": "Polri personnel"},
    "hl_needed": {"id": "{n} dibutuhkan", "en": "{n} needed"},
    "hl_shortfall": {"id": "kurang {n} (butuh {needed})", "en": "short by {n} (need {needed})"},
    "hl_enough": {"id": "cukup ({needed} dibutuhkan)", "en": "enough ({needed} needed)"},
    "hl_strength_detail": {"id": "tersedia {available}; kebutuhan termasuk cadangan {peleton} peleton = {reserve} personel",
                           "en": "available {available}; the need includes a reserve of {peleton} peleton = {reserve} personnel"},
    "hl_available_unknown": {"id": "kekuatan tersedia tidak diisi di konfigurasi wilayah",
                             "en": "available strength is not given in the region config"},
    "hl_available_region_only": {"id": "kekuatan tersedia hanya diketahui untuk seluruh Polres",
                                 "en": "available strength is known only for the whole Polres"},
    "hl_response": {"id": "Di luar waktu respons", "en": "Beyond response time"},
    "hl_response_value": {"id": "{n} dari {of} TPS rawan", "en": "{n} of {of} vulnerable TPS"},
    "hl_response_detail": {"id": "cadangan tiba lebih dari {limit} menit (lewat jalan) atau tidak terjangkau",
                           "en": "the reserve needs more than {limit} min by road, or cannot reach them"},
    "hl_flood": {"id": "Akses terputus banjir", "en": "Cut off by flood"},
    "hl_flood_value": {"id": "{n} TPS tidak terjangkau", "en": "{n} TPS unreachable"},
    "hl_flood_detail": {"id": "{detour} TPS lagi dengan jalan memutar lebih dari {threshold} menit",
                        "en": "{detour} more TPS with a detour of over {threshold} min"},
    "hl_pockets": {"id": "Kantong kerawanan", "en": "Pockets of risk"},
    "hl_pockets_value": {"id": "{n} kantong berisi TPS rawan", "en": "{n} pockets with vulnerable TPS"},
    "hl_pockets_detail": {"id": "{dense} klaster padat lain tanpa TPS rawan",
                          "en": "{dense} other dense clusters without vulnerable TPS"},
    "hl_not_computed": {"id": "tidak dihitung", "en": "not computed"},
    "hl_needs_roads_police": {"id": "butuh data jalan dan satuan Polri", "en": "needs road and police unit data"},
    "minor_detours": {"id": "{n} TPS lain dengan jalan memutar yang menambah {threshold} menit atau kurang tidak "
                            "dicantumkan.",
                      "en": "{n} more TPS with a detour adding {threshold} min or less are not listed."},
    "detour_added": {"id": "Tambahan waktu memutar", "en": "Added by the detour"},
    "cut_unreachable": {"id": "TPS tidak terjangkau saat banjir", "en": "TPS unreachable in a flood"},
    "cut_detour": {"id": "TPS dengan jalan memutar jauh", "en": "TPS with a long detour"},
    "dense_clusters": {"id": "Klaster padat TPS kurang rawan", "en": "Dense clusters of less vulnerable TPS"},
    # reasons (risk and flood evidence), with {fields}
    "r_from": {"id": "{dist} dari {what}", "en": "{dist} from {what}"},
    "r_in": {"id": "di {what}", "en": "in {what}"},
    "r_a_river": {"id": "sungai/saluran", "en": "a river/canal"},
    "r_flood_kelurahan": {"id": "kelurahan rawan banjir (BPBD): {names}", "en": "flood-prone kelurahan per BPBD: {names}"},
    "r_flood_kelurahan_short": {"id": "kelurahan rawan banjir BPBD ({names})", "en": "flood-prone kelurahan per BPBD ({names})"},
    "r_flood": {"id": "banjir {level}: {why}", "en": "flood {level}: {why}"},
    "r_police": {"id": "{dist} dari satuan Polri terdekat ({unit})", "en": "{dist} from the nearest police unit ({unit})"},
    "r_crowding": {"id": "{n} TPS lain dalam radius {r} m", "en": "{n} other TPS within {r} m"},
    "r_khusus": {"id": "TPS lokasi khusus", "en": "special-location TPS"},
    "r_voters": {"id": "{n} pemilih (DPT)", "en": "{n} voters"},
    "r_official": {"id": "kelas resmi '{label}' ({who})", "en": "official class '{label}' ({who})"},
    "r_the_list": {"id": "daftar", "en": "the list"},
    "r_flood_report": {"id": "laporan banjir {date}{depth} pada {dist}", "en": "flood report {date}{depth} at {dist}"},
    "kdist_x": {"id": "TPS (terurut)", "en": "TPS (sorted)"},
    "kdist_y": {"id": "jarak ke tetangga ke-{k} terdekat (m)", "en": "distance to the {k}th nearest (m)"},
    "briefings_failed": {"id": "{n} briefing gagal dibuat; lihat manifest.json.", "en": "{n} briefings failed; see manifest.json."},
    # tps.csv / tps.xlsx column headers
    "col_tps_id": {"id": "ID TPS (Sirekap)", "en": "TPS id (Sirekap)"},
    "col_kode_kel": {"id": "Kode kelurahan", "en": "Kelurahan code"},
    "col_kelurahan": {"id": "Kelurahan", "en": "Kelurahan"},
    "col_kode_kec": {"id": "Kode kecamatan", "en": "Kecamatan code"},
    "col_kecamatan": {"id": "Kecamatan", "en": "Kecamatan"},
    "col_tps_no": {"id": "Nomor TPS", "en": "TPS number"},
    "col_is_khusus": {"id": "Lokasi khusus", "en": "Special location"},
    "col_alamat": {"id": "Alamat", "en": "Address"},
    "col_dpt": {"id": "DPT", "en": "Voters (DPT)"},
    "col_lat": {"id": "Lintang", "en": "Latitude"},
    "col_lon": {"id": "Bujur", "en": "Longitude"},
    "col_position_source": {"id": "Sumber posisi", "en": "Position source"},
    "col_position_method": {"id": "Metode posisi", "en": "Position method"},
    "col_position_note": {"id": "Catatan posisi", "en": "Position note"},
    "col_position_check": {"id": "Cek posisi", "en": "Position check"},
    "col_risk_class": {"id": "Kelas kerawanan", "en": "Risk class"},
    "col_risk_class_source": {"id": "Sumber kelas", "en": "Class source"},
    "col_risk_class_date": {"id": "Tanggal kelas", "en": "Class date"},
    "col_risk_class_authority": {"id": "Penetap kelas", "en": "Class authority"},
    "col_risk_class_computed": {"id": "Kelas dihitung", "en": "Computed class"},
    "col_risk_score": {"id": "Skor kerawanan", "en": "Risk score"},
    "col_risk_reasons": {"id": "Alasan", "en": "Reasons"},
    "col_pocket_id": {"id": "Kantong", "en": "Pocket"},
    "col_rayon": {"id": "Rayon", "en": "Rayon"},
    "col_polsek": {"id": "Polsek", "en": "Polsek"},
    "col_response_min": {"id": "Waktu respons (menit)", "en": "Response time (min)"},
    "col_route_km": {"id": "Rute (km)", "en": "Route (km)"},
    "col_beyond_response": {"id": "TPS rawan melebihi waktu respons", "en": "Vulnerable TPS beyond response time"},
    "col_flood_class": {"id": "Kelas banjir", "en": "Flood class"},
    "col_flood_reasons": {"id": "Bukti banjir", "en": "Flood evidence"},
    "col_access_cut": {"id": "Akses terputus banjir", "en": "Access cut by flood"},
    "col_detour_min": {"id": "Waktu tempuh memutar (menit)", "en": "Detour time (min)"},
    "col_cut_unreachable": {"id": "Tidak terjangkau", "en": "Unreachable"},
    "position_estimated_title": {"id": "TPS dari daftar dengan posisi diperkirakan (koordinat tidak dapat dipakai)",
                                 "en": "TPS of the list with an estimated position (coordinates unusable)"},
    "area_part": {"id": "sebagian", "en": "part"},
    "kecamatan_polygons": {"id": "poligon kecamatan", "en": "kecamatan polygons"},
    "no_kelurahan_polygons": {"id": "TANPA poligon kelurahan: tiap desa/kelurahan digambar seluas kecamatannya, "
                                    "posisi TPS perkiraan di dalam kecamatan",
                              "en": "NO kelurahan polygons: every desa/kelurahan is drawn as its whole kecamatan, "
                                    "TPS positions are estimates inside the kecamatan"},
    "with_polygon": {"id": "dengan poligon", "en": "with a polygon"},
    "reserve_peleton_n": {"id": "Cadangan: {n} peleton × {size} personel (1 per rayon)",
                          "en": "Reserve: {n} peleton × {size} personnel (1 per rayon)"},
    "changes_between": {"id": "Perubahan kelas TPS resmi: {old} → {new}", "en": "Changes in official TPS classes: {old} → {new}"},
    "raster_covers_tps": {"id": "{label}: memodelkan {share} TPS; sisanya 'tidak dimodelkan'",
                          "en": "{label}: covers {share} of the TPS; the rest are 'not modelled'"},
    "polda_pocket_tps": {"id": "{n} TPS rawan/sangat rawan di dalam kantong", "en": "{n} vulnerable TPS inside them"},
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
    "polda_reserve": {"id": "Cadangan (personel peleton)", "en": "Reserve (peleton personnel)"},
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
    # pamgeo compare: changes between two dated classifications (pamgeo.render.changes)
    "changes_title": {"id": "Perubahan Kelas Kerawanan TPS", "en": "Changes in TPS Risk Classes"},
    "changes_old": {"id": "Sebelum", "en": "Before"},
    "changes_new": {"id": "Sesudah", "en": "After"},
    "changes_delta": {"id": "Selisih", "en": "Difference"},
    "changes_summary": {"id": "Ringkasan perubahan", "en": "Summary of changes"},
    "changes_by_class": {"id": "TPS per kelas kerawanan, sebelum dan sesudah",
                         "en": "TPS per risk class, before and after"},
    "changes_by_kecamatan": {"id": "Perubahan per kecamatan", "en": "Changes per kecamatan"},
    "changes_list": {"id": "TPS yang berubah", "en": "TPS that changed"},
    "changes_map": {"id": "Peta perubahan", "en": "Map of changes"},
    "change": {"id": "Perubahan", "en": "Change"},
    "change_up": {"id": "naik kelas", "en": "up a class"},
    "change_down": {"id": "turun kelas", "en": "down a class"},
    "change_added": {"id": "baru masuk daftar", "en": "added"},
    "change_removed": {"id": "keluar dari daftar", "en": "removed"},
    "change_changed": {"id": "berubah ke/dari lokasi khusus", "en": "to/from special location"},
    "change_unchanged": {"id": "tetap", "en": "unchanged"},
    "change_up_short": {"id": "naik", "en": "up"},
    "change_down_short": {"id": "turun", "en": "down"},
    "change_added_short": {"id": "baru", "en": "added"},
    "change_removed_short": {"id": "keluar", "en": "removed"},
    "change_changed_short": {"id": "khusus", "en": "khusus"},
    "change_unchanged_short": {"id": "tetap", "en": "same"},
    "class_authority": {"id": "Penetap kelas", "en": "Class authority"},
    "changes_no_position": {"id": "TPS tanpa posisi tidak tergambar di peta (tetap ada di tabel)",
                            "en": "TPS without a position are not drawn (they stay in the tables)"},
    "changes_note": {
        "id": "Dibandingkan per ID TPS (Sirekap). 'Keluar dari daftar' berarti TPS tidak lagi tercantum di daftar "
              "baru; bila daftar hanya memuat TPS rawan, TPS itu biasanya menjadi kurang rawan. Kelas dan tanggal "
              "sesuai daftar resmi yang dibandingkan.",
        "en": "Compared by TPS id (Sirekap). 'Removed' means the TPS is no longer on the new list; when a list "
              "holds only rawan TPS, such a TPS has usually become kurang rawan. Classes and dates as in the "
              "official lists compared.",
    },
    # maps (issue 14): planned police units, the online base map offline, print sheets
    "police_planned": {"id": "Satuan Polri (rencana, belum ada)", "en": "Police units (planned, not yet built)"},
    "tiles_offline": {"id": "Peta dasar daring tidak dapat dimuat (tanpa internet)",
                      "en": "The online base map cannot be loaded (no internet)"},
    "print_made": {"id": "Dibuat", "en": "Made"},
    "north": {"id": "U", "en": "N"},
    "offmap_staging": {"id": "Titik siaga di luar peta (rute terpotong di tepi peta)",
                       "en": "Staging points outside the map (routes cut at the map's edge)"},
    "frame_clipped": {"id": "Sebagian kantong melewati tepi peta", "en": "Part of a pocket runs past the map's edge"},
}


def t(key: str, lang: str = "id") -> str:
    """Label ``key`` in ``lang`` (``"id"`` or ``"en"``); unknown keys are returned unchanged."""
    entry = LABELS.get(key)
    if entry is None:
        return key
    return entry.get(lang) or entry["id"]


def tf(key: str, lang: str = "id", **values: object) -> str:
    """Label ``key`` in ``lang`` with ``{name}`` fields filled in (numbers formatted for ``lang``)."""
    return t(key, lang).format(**{k: _field(v, lang) for k, v in values.items()})


def distance(metres: float, lang: str = "id") -> str:
    """A distance for a reason: to 10 m below 1 km, else km with one decimal.

    >>> distance(347, "id"), distance(3640, "id"), distance(3640, "en")
    ('± 350 m', '3,6 km', '3.6 km')
    """
    if metres < 1000:
        return f"± {number(round(metres / 10) * 10, lang)} m"
    return f"{number(metres / 1000, lang, 1)} km"


def site_list(sites: list[str]) -> str:
    """The first two of a list of places, and how many more.

    >>> site_list(["Jl. Ceger", "Pondok Betung", "Situ Bujang", "Kp. Sawah"])
    'Jl. Ceger, Pondok Betung (+2)'
    """
    return ", ".join(sites[:2]) + (f" (+{len(sites) - 2})" if len(sites) > 2 else "")


def river_phrases(metres: np.ndarray, names: np.ndarray, lang: str = "id") -> np.ndarray:
    """"± 50 m from <river>" for each distance and waterway name ("a river" where it has none)."""
    what = np.asarray(names, dtype=object).copy()
    what[~what.astype(bool)] = t("r_a_river", lang)
    return tf_many("r_from", lang, dist=distance_many(metres, lang), what=what)


def distance_many(metres: np.ndarray, lang: str = "id") -> np.ndarray:
    """:func:`distance` of many distances at once: the same texts, each distinct one formatted once.

    >>> list(distance_many([347, 352, 3640], "id"))
    ['± 350 m', '± 350 m', '3,6 km']
    """
    m = np.asarray(metres, dtype=float)
    out = np.empty(m.shape, dtype=object)
    near = m < 1000
    # round(metres / 10) * 10, as distance() does: both round half to even (+ 0.0: an int has no -0)
    out[near] = format_each(np.rint(m[near] / 10) * 10 + 0.0, lambda v: f"± {number(v, lang)} m")
    far = m[~near]
    tenths = far / 1000 * 10
    # km to one decimal: rounding the tenths gives the digits Python's formatting of metres / 1000
    # gives, except within rounding error of a half (formatted one by one, as are inf and NaN)
    with np.errstate(invalid="ignore"):  # inf and NaN
        plain = np.isfinite(tenths) & (np.abs(tenths - np.floor(tenths) - 0.5) > 1e-6)
    text = np.empty(far.shape, dtype=object)
    text[plain] = format_each(np.rint(tenths[plain]), lambda k: f"{number(k / 10, lang, 1)} km")
    text[~plain] = [distance(v, lang) for v in far[~plain].tolist()]
    out[~near] = text
    return out


def number_many(values: np.ndarray, lang: str = "id", digits: int = 0) -> np.ndarray:
    """:func:`number` of many values at once (each distinct value formatted once).

    >>> list(number_many(np.array([3824, 12, 3824]), "id"))
    ['3.824', '12', '3.824']
    """
    return format_each(np.asarray(values), lambda v: number(v, lang, digits))


def tf_many(key: str, lang: str = "id", **values: object) -> np.ndarray:
    """:func:`tf` for many rows at once: each value an array (one entry per row) or one value for all.

    Each row's text is the one ``tf`` gives for that row's entries (Python floats and NumPy
    doubles formatted for ``lang``; NumPy integers, strings and anything else as ``str.format``
    writes them), each distinct entry of a number array formatted once. Counts to be written
    for ``lang`` (``3.824``) are formatted with :func:`number_many` first.

    >>> list(tf_many("r_crowding", "id", n=number_many(np.array([3, 1200])), r=200))
    ['3 TPS lain dalam radius 200 m', '1.200 TPS lain dalam radius 200 m']
    """
    template = t(key, lang)
    n = max((len(v) for v in values.values() if _is_column(v)), default=1)
    parts = list(string.Formatter().parse(template))
    if any(spec or conv for _, field, spec, conv in parts if field is not None):
        rows = [{k: v[i] if _is_column(v) else v for k, v in values.items()} for i in range(n)]
        return np.array([tf(key, lang, **row) for row in rows], dtype=object).reshape(n)
    out = np.full(n, "", dtype=object)
    for literal, field, _, _ in parts:
        if literal:
            out = out + literal
        if field is not None:
            out = out + _field_texts(values[field], lang, n)
    return out


def _is_column(value: object) -> bool:
    return isinstance(value, np.ndarray | pd.Series | pd.Index | list | tuple)


def _field(value: object, lang: str) -> str:
    """One ``{field}`` as :func:`tf` fills it in."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number(value, lang)
    return format(value, "")


def _field_texts(value: object, lang: str, n: int) -> np.ndarray:
    """The texts of one field for ``n`` rows (see :func:`tf_many`)."""
    if not _is_column(value):
        return np.full(n, _field(value, lang), dtype=object)
    arr = np.asarray(value)
    if arr.dtype == np.float64:  # NumPy's doubles are floats: numbers for the language
        return format_each(arr, lambda v: number(v, lang))
    if arr.dtype.kind in "iub":  # NumPy's integers and booleans are not: written as they are
        return format_each(arr, str)
    if arr.dtype.kind == "O" and pd.api.types.infer_dtype(arr, skipna=False) == "string":
        return arr
    return np.array([_field(v, lang) for v in arr], dtype=object).reshape(arr.shape)


def format_each(values: np.ndarray, fmt: Callable[[object], str]) -> np.ndarray:
    """``fmt`` of each entry (given as a Python number), called once per distinct value."""
    flat = np.ravel(values)
    if flat.dtype.kind == "f":  # by bit pattern: -0.0 and 0.0 are written differently
        flat = flat.astype(np.float64)
        codes, uniq = pd.factorize(flat.view(np.int64), use_na_sentinel=False)
        uniq = np.asarray(uniq).view(np.float64)
    else:
        codes, uniq = pd.factorize(flat, use_na_sentinel=False)
    texts = np.array([fmt(v) for v in np.asarray(uniq).tolist()], dtype=object)
    return texts[codes].reshape(np.shape(values))


def join_parts(n: int, rows: np.ndarray, texts: np.ndarray, sep: str = "; ") -> np.ndarray:
    """Texts of ``n`` rows: the parts of each row joined by ``sep`` ("" for a row without parts).

    Parts are given as their row (``rows``) and text, a row's parts in the order given.

    >>> list(join_parts(3, np.array([2, 0, 2]), np.array(["a", "b", "c"], dtype=object)))
    ['b', '', 'a; c']
    """
    out = np.full(n, "", dtype=object)
    rows = np.asarray(rows, dtype=np.intp)
    if len(rows) == 0:
        return out
    order = np.argsort(rows, kind="stable")
    rows, texts = rows[order], np.asarray(texts, dtype=object)[order]
    first = np.r_[True, rows[1:] != rows[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(len(rows)), 0))
    rank = np.arange(len(rows)) - start  # the part's place in its row
    by_rank = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[by_rank], np.arange(rank.max() + 2))
    for r in range(rank.max() + 1):
        take = by_rank[bounds[r]:bounds[r + 1]]
        at = rows[take]
        out[at] = texts[take] if r == 0 else out[at] + sep + texts[take]
    return out


def number(value: float, lang: str = "id", digits: int = 0) -> str:
    """A number as the language writes it.

    >>> number(3824, "id"), number(3824, "en"), number(3.64, "id", 1)
    ('3.824', '3,824', '3,6')
    """
    group, decimal = _separators(lang)
    text = f"{value:,.{digits}f}"
    return text.translate({ord(","): group, ord("."): decimal})


@functools.cache
def _separators(lang: str) -> tuple[str, str]:
    """The language's group and decimal separators (Babel's CLDR data), looked up once: formatting
    with Babel on every call costs 17 µs, thousands of times in a region's reasons."""
    locale = LOCALES.get(lang, LOCALES["id"])
    return get_group_symbol(locale), get_decimal_symbol(locale)


def percent(share: float, lang: str = "id") -> str:
    """A share (0-1) as a percentage: ``percent(0.4, "id") == '40%'``."""
    return format_percent(share, locale=LOCALES.get(lang, LOCALES["id"]))


def when(moment: datetime, lang: str = "id") -> str:
    """A time in WIB: ``1 Des 2026 23.50 WIB`` / ``1 Dec 2026 23:50 WIB``."""
    local = moment.astimezone(TIMEZONE)
    return f"{format_datetime(local, 'd MMM y HH:mm', locale=LOCALES.get(lang, LOCALES['id']))} {TIMEZONE_LABEL}"
