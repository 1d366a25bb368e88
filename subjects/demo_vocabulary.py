"""The words the demo population is made of: names, positions, companies, countries and how
often each kind of person and company occurs."""

from __future__ import annotations

from subjects.models import OrganisationStatus, SubjectKind

FIRST_NAMES = [
    "Mari", "Kadri", "Liis", "Anu", "Kristiina", "Triin", "Piret", "Katrin", "Jaan", "Rein",
    "Tiit", "Andres", "Mart", "Priit", "Toomas", "Juhan", "Anna", "Laura", "Elīna", "Ilze",
    "Jānis", "Andris", "Mārtiņš", "Rūta", "Agnė", "Jonas", "Lukas", "Aino", "Mikko", "Sanna",
    "Emma", "Olivia", "Noah", "Liam", "Charlotte", "James", "Mei", "Wei", "Siti", "Ahmad",
    "Sophie", "Jack", "Chloe", "Ethan", "Hannah", "Sokha", "Dara", "Aroha", "Nikau", "Ingrid",
]  # fmt: skip
LAST_NAMES = [
    "Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves", "Pärn", "Koppel",
    "Mets", "Lepp", "Ozoliņš", "Bērziņš", "Kalniņš", "Liepa", "Kazlauskas", "Petrauskas",
    "Virtanen", "Korhonen", "Nieminen", "Müller", "Schmidt", "Andersson", "Johansson",
    "Smith", "Jones", "Brown", "Taylor", "Wilson", "Tan", "Lim", "Ng", "Wong", "Lee",
    "Abdullah", "Rahman", "Chan", "Sok", "Chea", "Williams", "Walker", "Ngata", "Parata",
]  # fmt: skip
POSITIONS = [
    "CEO", "CFO", "CTO", "Head of Sales", "Accountant", "Board member", "Project manager",
    "Legal counsel", "Office manager", "Company secretary", "Analyst", "Engineer",
    "Marketing manager", "HR manager", "Assistant",
]  # fmt: skip
COMPANY_WORDS = [
    "Nordic", "Baltic", "Amber", "Harbour", "Pine", "Granite", "Silver", "North", "Blue",
    "Coral", "Summit", "Delta", "Aurora", "Meridian", "Linden", "Birch", "Vista", "Orbit",
]  # fmt: skip
COMPANY_NOUNS = [
    "Holdings", "Capital", "Logistics", "Foods", "Energy", "Systems", "Partners", "Estates",
    "Media", "Health", "Foundry", "Works", "Analytics", "Shipping", "Timber", "Retail",
]  # fmt: skip
# Legal form by country, for a plausible company name.
SUFFIX = {
    "EE": "OÜ", "LV": "SIA", "LT": "UAB", "FI": "Oy", "DE": "GmbH", "SE": "AB", "GB": "Ltd",
    "AU": "Pty Ltd", "SG": "Pte Ltd", "NZ": "Limited", "MY": "Sdn Bhd", "KH": "Co., Ltd",
    "US": "Inc.",
}  # fmt: skip
COUNTRY_WEIGHTS = {
    "EE": 30, "LV": 12, "LT": 10, "FI": 10, "DE": 8, "SE": 6, "GB": 5, "AU": 6, "SG": 5,
    "NZ": 3, "MY": 2, "KH": 1, "US": 2,
}  # fmt: skip
STATUS_WEIGHTS = {
    OrganisationStatus.PAYING: 40,
    OrganisationStatus.FORMER: 10,
    OrganisationStatus.PROSPECT: 25,
    OrganisationStatus.TRIAL: 15,
    OrganisationStatus.DEMO: 10,
}
KIND_WEIGHTS = {
    OrganisationStatus.PAYING: {
        SubjectKind.CLIENT: 10,
        SubjectKind.CLIENT_REPRESENTATIVE: 25,
        SubjectKind.USER: 65,
    },
    # Former clients' people: "jebkuru citu datu subjektu", former users included.
    OrganisationStatus.FORMER: {
        SubjectKind.CLIENT: 15,
        SubjectKind.USER: 35,
        SubjectKind.OTHER: 50,
    },
    "prospect": {SubjectKind.PROSPECT: 40, SubjectKind.PROSPECT_REPRESENTATIVE: 60},
}
USAGE_ACTIONS = [
    "login", "document.upload", "meeting.create", "minutes.approve", "report.export",
    "user.invite", "settings.change", "signature.sign",
]  # fmt: skip
MESSAGE_LINES = [
    ("Question about invoice", "Hello, could you send the invoice again with our VAT number?"),
    ("Cannot log in", "Hi, the login link has expired, please help."),
    ("Feature request", "It would help if minutes could be exported to Word."),
    ("Trial extension", "Could we have two more weeks of the trial?"),
    ("Welcome to the platform", "Thank you for signing up. Here is how to start."),
    ("Your support request", "We have fixed the problem you reported."),
]
# A 1×1 PNG, the smallest valid image, for the few people with a photo.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)
