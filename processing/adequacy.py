"""Where personal data may go from the operator (GDPR Chapter V): the EEA, where sending data
is no transfer at all, and the third countries with an EU adequacy decision (Art. 45).

Source: the European Commission's page "Adequacy decisions"
(https://commission.europa.eu/law/law-topic/data-protection/international-dimension-data-protection/adequacy-decisions_en)
and the decisions as published in the Official Journal. Checked on 29 November 2026, without
live access to that page: against stored copies of it, the decisions' texts and reports up to
the renewal of the United Kingdom's decision on 19 December 2025. Re-check the page when a
decision is adopted, renewed or struck down, and change this list in the same commit.

Left out on purpose: the European Patent Organisation's decision (an international
organisation, not a country), and the United States, whose decision covers only organisations
certified under the EU–US Data Privacy Framework: that is `DPF_DECISION`, used per recipient
by the Data Privacy Framework ground, never by plain adequacy.

A DPF recipient is covered only while certified, so the DPO re-checks the DPF List. The
re-check is a date rule in the style of `retention/periods.py`: due 12 months after the last
check in calendar arithmetic (a check on 29 February 2024 is due on 28 February 2025), and
late from the day after.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

# Agreement on the European Economic Area: the 27 EU member states (their outermost regions
# and Åland included, which have country codes of their own) and Iceland, Liechtenstein and
# Norway. Data sent here stays under the GDPR and needs no transfer ground (Art. 44).
EEA_COUNTRIES = frozenset(
    {
        # EU member states
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
        "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
        # Outermost regions of France (TFEU Art. 349) and Åland (Finland)
        "GF", "GP", "MQ", "RE", "YT", "MF", "AX",
        # EEA EFTA states
        "IS", "LI", "NO",
    }
)  # fmt: skip


@dataclass(frozen=True)
class AdequacyDecision:
    country: str  # ISO 3166-1 alpha-2
    reference: str
    adopted_on: dt.date
    # Where the decision covers only part of the country's recipients.
    scope: str = ""

    def __str__(self) -> str:
        text = f"{self.reference} of {self.adopted_on:%d.%m.%Y}"
        return f"{text} ({self.scope})" if self.scope else text


ADEQUACY_DECISIONS: dict[str, AdequacyDecision] = {
    decision.country: decision
    for decision in (
        AdequacyDecision("AD", "Commission Decision 2010/625/EU", dt.date(2010, 10, 19)),
        AdequacyDecision("AR", "Commission Decision 2003/490/EC", dt.date(2003, 6, 30)),
        AdequacyDecision(
            "CA",
            "Commission Decision 2002/2/EC",
            dt.date(2001, 12, 20),
            scope="commercial organisations subject to PIPEDA",
        ),
        AdequacyDecision("FO", "Commission Decision 2010/146/EU", dt.date(2010, 3, 5)),
        AdequacyDecision("GG", "Commission Decision 2003/821/EC", dt.date(2003, 11, 21)),
        AdequacyDecision("IL", "Commission Decision 2011/61/EU", dt.date(2011, 1, 31)),
        AdequacyDecision("IM", "Commission Decision 2004/411/EC", dt.date(2004, 4, 28)),
        AdequacyDecision(
            "JP",
            "Commission Implementing Decision (EU) 2019/419",
            dt.date(2019, 1, 23),
            scope="business operators under the Act on the Protection of Personal Information",
        ),
        AdequacyDecision("JE", "Commission Decision 2008/393/EC", dt.date(2008, 5, 8)),
        AdequacyDecision(
            "NZ", "Commission Implementing Decision 2013/65/EU", dt.date(2012, 12, 19)
        ),
        AdequacyDecision(
            "KR", "Commission Implementing Decision (EU) 2022/254", dt.date(2021, 12, 17)
        ),
        AdequacyDecision("CH", "Commission Decision 2000/518/EC", dt.date(2000, 7, 26)),
        AdequacyDecision(
            "GB",
            "Commission Implementing Decision (EU) 2021/1772",
            dt.date(2021, 6, 28),
            # The renewing decision's number was not in the copies checked: add it here.
            scope="renewed on 19.12.2025 until 27.12.2031",
        ),
        AdequacyDecision(
            "UY", "Commission Implementing Decision 2012/484/EU", dt.date(2012, 8, 21)
        ),
    )
}

DPF_DECISION = AdequacyDecision(
    "US",
    "Commission Implementing Decision (EU) 2023/1795",
    dt.date(2023, 7, 10),
    scope="only organisations on the EU–US Data Privacy Framework List",
)


def is_in_eea(country: str) -> bool:
    return country in EEA_COUNTRIES


def adequacy_decision_for(country: str) -> AdequacyDecision | None:
    """The country-wide decision a transfer on plain adequacy rests on, if there is one."""
    return ADEQUACY_DECISIONS.get(country)


# EU–US Data Privacy Framework: organisations re-certify every year (Commission Implementing
# Decision (EU) 2023/1795, section 2.3.1), so a check older than that says nothing of today.
DPF_RECHECK_MONTHS = 12
DPF_RECHECK_INTERVAL = relativedelta(months=DPF_RECHECK_MONTHS)


def dpf_recheck_due(checked_on: dt.date) -> dt.date:
    """The last day on which a certification checked on `checked_on` still counts."""
    return checked_on + DPF_RECHECK_INTERVAL


def is_dpf_check_stale(checked_on: dt.date, *, today: dt.date) -> bool:
    return today > dpf_recheck_due(checked_on)
