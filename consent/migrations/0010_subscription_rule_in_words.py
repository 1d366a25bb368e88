"""The seeded rule `pending-subscriptions-7d` gave the confirmation link's life by the code's
constant (`consent.emails.SUBSCRIBE_MAX_AGE_SECONDS`); the register shows that text to staff.
It now says the days. A reference an Admin has since rewritten is left as they wrote it."""

from django.db import migrations

CODE = "pending-subscriptions-7d"
BY_THE_CODE = (
    "GDPR Art. 5(1)(c) and (e): an address nobody confirmed is kept only while its "
    "confirmation link works (consent.emails.SUBSCRIBE_MAX_AGE_SECONDS)"
)


def in_words(apps, schema_editor):
    from consent.seed import PENDING_SUBSCRIPTION_RULE

    RetentionRule = apps.get_model("retention", "RetentionRule")
    RetentionRule.objects.filter(code=CODE, legal_reference=BY_THE_CODE).update(
        legal_reference=PENDING_SUBSCRIPTION_RULE["legal_reference"]
    )


def by_the_code(apps, schema_editor):
    from consent.seed import PENDING_SUBSCRIPTION_RULE

    RetentionRule = apps.get_model("retention", "RetentionRule")
    RetentionRule.objects.filter(
        code=CODE, legal_reference=PENDING_SUBSCRIPTION_RULE["legal_reference"]
    ).update(legal_reference=BY_THE_CODE)


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0009_policy_texts"),
        ("retention", "0006_purge_pause"),
    ]

    operations = [migrations.RunPython(in_words, by_the_code)]
