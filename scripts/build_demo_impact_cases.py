"""Copy the REF2014 impact case studies of the seven partner universities into data/demo/.

Source: ../shared/data/corpora/ref2014_impact_case_studies (CC BY 4.0; data/demo/SOURCES.md). Keeps the columns
the product reads and adds each university's UKPRN, so the file loads without guessing from names. Run once
from the repository root: python scripts/build_demo_impact_cases.py
"""

import csv
import html
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = (
    ROOT.parent / "shared/data/corpora/ref2014_impact_case_studies/ref2014_case_studies_mrc_wellcome_bbsrc_rcuk.csv"
)
TARGET = ROOT / "data/demo/ref2014_impact_cases.csv"

# The institution as the REF file writes it -> the partner university's UKPRN (data/reference/universities.csv).
INSTITUTIONS = {
    "Aston University": "10007759",
    "University of Birmingham": "10006840",
    "Keele University": "10007767",
    "University of Leicester": "10007796",
    "University of Leicester (School of Museum Studies)": "10007796",
    "Loughborough University": "10004113",
    "Loughborough": "10004113",
    "University of Nottingham": "10007154",
    "The University of Nottingham": "10007154",
    "University of Warwick": "10007163",
    "University of Warwick and Liverpool School of Tropical Medicine": "10007163",
}
COLUMNS = [
    "Case Study Id",
    "Institution",
    "UKPRN",
    "Unit of Assessment",
    "Title",
    "Summary of the impact",
    "Underpinning research",
    "Details of the impact",
    "Funders",
]


def main() -> None:
    with SOURCE.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["Institution"] in INSTITUTIONS]
    rows.sort(key=lambda r: int(r["Case Study Id"]))
    with TARGET.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS)
        writer.writeheader()
        for r in rows:
            writer.writerow(
                {
                    "Case Study Id": r["Case Study Id"],
                    "Institution": r["Institution"],
                    "UKPRN": INSTITUTIONS[r["Institution"]],
                    "Unit of Assessment": r["Unit of Assessment"],
                    # The source keeps HTML entities (&amp;) from the REF website.
                    "Title": html.unescape(r["Title"]).strip(),
                    "Summary of the impact": html.unescape(r["Summary of the impact"]).strip(),
                    "Underpinning research": html.unescape(r["Underpinning research"]).strip(),
                    "Details of the impact": html.unescape(r["Details of the impact"]).strip(),
                    "Funders": ";".join(f.removeprefix("funder_") for f in r["funder_files"].split(";") if f.strip()),
                }
            )
    print(f"{len(rows)} case studies written to {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
