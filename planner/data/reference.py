"""Hand-written reference tables of the default dataset: blocs, sector classes, gap fills.

Each list carries its source. These are facts and documented assumptions, not data pulled from
the raw files; ``planner.data.build`` writes them into data/ next to the processed tables.
"""

from __future__ import annotations

EU27 = (
    "AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD POL PRT ROU "
    "SVK SVN ESP SWE"
).split()
G7 = "CAN FRA DEU ITA JPN GBR USA".split()
OECD = (
    "AUS AUT BEL CAN CHL COL CRI CZE DNK EST FIN FRA DEU GRC HUN ISL IRL ISR ITA JPN KOR LVA LTU "
    "LUX MEX NLD NZL NOR POL PRT SVK SVN ESP SWE CHE TUR GBR USA"
).split()
NATO = (
    "ALB BEL BGR CAN HRV CZE DNK EST FIN FRA DEU GRC HUN ISL ITA LVA LTU LUX MNE NLD MKD NOR POL "
    "PRT ROU SVK SVN ESP SWE TUR GBR USA"
).split()
QUAD = "AUS IND JPN USA".split()
IPEF = "AUS BRN FJI IND IDN JPN KOR MYS NZL PHL SGP THA USA VNM".split()
D10 = [*G7, "AUS", "IND", "KOR"]
# CPTPP: the 11 original parties (signed 2018-03-08) and the United Kingdom, whose accession
# entered into force on 2024-12-15.
CPTPP = "AUS BRN CAN CHL JPN MYS MEX NZL PER SGP VNM GBR".split()
# TPP-12: the 12 signatories of 2016-02-04 (the United States withdrew on 2017-01-23).
TPP12 = "AUS BRN CAN CHL JPN MYS MEX NZL PER SGP USA VNM".split()
USMCA = "USA MEX CAN".split()
CHIP4 = "USA JPN KOR TWN".split()
# Minerals Security Partnership: 14 partner countries after Estonia joined (March 2024); the
# European Union (European Commission) is a partner too, not enumerated (as in the G7 list).
MSP = "AUS CAN EST FIN FRA DEU IND ITA JPN KOR NOR SWE GBR USA".split()
TTIP = ["USA", *EU27]

BLOCS: dict[str, tuple[list[str], str]] = {
    "eu27": (EU27, "European Union, 'EU countries' (europa.eu), 27 member states since 2020-02-01"),
    "g7": (G7, "G7 members (the EU takes part as a non-enumerated member), G7 presidency sites"),
    "oecd": (OECD, "OECD 'Members and partners' (oecd.org), 38 members since 2021-05-25"),
    "nato": (NATO, "NATO 'Member countries' (nato.int), 32 Allies since Sweden, 2024-03-07"),
    "quad": (QUAD, "Quadrilateral Security Dialogue: Australia, India, Japan, United States"),
    "ipef": (IPEF, "USTR, Indo-Pacific Economic Framework for Prosperity, 14 partners, 2022"),
    "d10": (
        D10,
        "UK 2020 'D-10' proposal: G7 plus Australia, India and South Korea (the Atlantic "
        "Council's D-10 Strategy Forum counts the EU in place of India)",
    ),
    "cptpp": (
        CPTPP,
        "CPTPP depositary (New Zealand MFAT): 11 parties signed 2018-03-08, plus the United "
        "Kingdom, in force for it 2024-12-15; 12 parties",
    ),
    "tpp12": (
        TPP12,
        "Trans-Pacific Partnership, 12 signatories, Auckland 2016-02-04 (USTR; the United "
        "States withdrew 2017-01-23)",
    ),
    "usmca": (USMCA, "USTR, United States-Mexico-Canada Agreement, in force 2020-07-01"),
    "chip4": (
        CHIP4,
        "'Chip 4' semiconductor alliance proposed by the United States in March 2022: United "
        "States, Japan, South Korea, Taiwan",
    ),
    "msp": (
        MSP,
        "US State Department, Minerals Security Partnership: 14 partner countries as of "
        "2024-03 (Estonia the latest); the EU (European Commission) a non-enumerated partner",
    ),
    "ttip": (
        TTIP,
        "Transatlantic Trade and Investment Partnership (negotiated 2013-2016, not concluded): "
        "the United States and the EU, counted as its 27 member states since 2020-02-01",
    ),
}
#: the blocs that have a flag column in countries.csv (the lists added later live in
#: blocs.csv only, so that the country table keeps its columns)
COUNTRY_FLAGS = ("eu27", "g7", "oecd", "nato", "quad", "ipef", "d10")

# D-TEP categories of the 50 ICIO sectors; the reasoning is in data/README.md.
STRATEGIC = ["C26", "C302T309"]
CRITICAL = ["B05", "B06", "B07", "C19", "C20", "C21", "C24A", "C24B", "C27", "D"]
GOODS_PREFIXES = ("A", "B", "C", "D")
CATEGORY_WEIGHT = {"strategic": 1.0, "critical": 0.5, "other": 0.0}
# Assumptions (overridable in a scenario or a sector table of one's own):
DEFAULT_HEADROOM = 0.25
EXTRACTION_HEADROOM = 0.10  # mines and wells cannot raise output quickly
EXTRACTION = ["B05", "B06", "B07", "B08"]
PREMIUM = {"strategic": 0.20, "critical": 0.15, "other": 0.10}
RESHORING_COST = 0.5

# Documented fills for gaps in the raw files (never silent; each is flagged in countries.csv).
TAIWAN_GDP_2022_USD_MN = 761_700.0
TAIWAN_GDP_SOURCE = (
    "DGBAS (Directorate-General of Budget, Accounting and Statistics, Taiwan), National "
    "Accounts: 2022 GDP at current prices US$ 761.7 billion (IMF WEO Oct 2023: 761.7)"
)
