"""Membership payments (one row per paid invoice, refundable and disputable like a tip), disputes
on either kind of payment (``TipDispute`` renamed ``Dispute``), the membership's ``state_at``
guard against late webhooks and its ``duplicate_of`` mark, and the ``plan`` ledger source."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("monetization", "0011_creator_plans"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel("TipDispute", "Dispute"),
        migrations.AddField(
            model_name="membership",
            name="duplicate_of",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="duplicates",
                to="monetization.membership",
            ),
        ),
        migrations.AddField(
            model_name="membership",
            name="state_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="dispute",
            name="tip",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="disputes",
                to="monetization.tip",
            ),
        ),
        migrations.AlterField(
            model_name="transaction",
            name="source",
            field=models.CharField(
                choices=[
                    ("ad_revenue", "Ad revenue"),
                    ("membership", "Membership"),
                    ("tip", "Tip"),
                    ("revenue_share", "Revenue share"),
                    ("copyright_share", "Copyright share"),
                    ("payout", "Payout"),
                    ("refund", "Refund"),
                    ("chargeback", "Chargeback"),
                    ("fee", "Fee"),
                    ("plan", "Creator plan"),
                    ("hold_release", "Hold period ended"),
                    ("ad_top_up", "Advertiser top-up"),
                    ("ad_budget", "Ad budget reserved or released"),
                    ("ad_spend", "Ad spend"),
                ],
                max_length=32,
            ),
        ),
        migrations.CreateModel(
            name="MembershipPayment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("stripe_invoice_id", models.CharField(max_length=255, unique=True)),
                ("payment_intent_id", models.CharField(blank=True, db_index=True, max_length=255)),
                ("amount_minor", models.BigIntegerField()),
                ("currency", models.CharField(max_length=3)),
                ("platform_fee_minor", models.BigIntegerField()),
                ("refunded_minor", models.BigIntegerField(default=0)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting for payment"),
                            ("paid", "Paid"),
                            ("failed", "Payment failed"),
                            ("partially_refunded", "Partially refunded"),
                            ("refunded", "Refunded"),
                            ("disputed", "Disputed by the fan's bank"),
                            ("charged_back", "Charged back (dispute lost)"),
                        ],
                        default="paid",
                        max_length=20,
                    ),
                ),
                ("paid_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "creator",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="membership_payments_received",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "membership",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payments",
                        to="monetization.membership",
                    ),
                ),
            ],
            options={
                "ordering": ["-paid_at", "-id"],
            },
        ),
        migrations.AddField(
            model_name="dispute",
            name="membership_payment",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="disputes",
                to="monetization.membershippayment",
            ),
        ),
        migrations.AddConstraint(
            model_name="dispute",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("membership_payment__isnull", True), ("tip__isnull", False)),
                    models.Q(("membership_payment__isnull", False), ("tip__isnull", True)),
                    _connector="OR",
                ),
                name="monetization_dispute_one_payment",
            ),
        ),
        migrations.AddConstraint(
            model_name="membershippayment",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount_minor__gt", 0)), name="monetization_mpayment_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="membershippayment",
            constraint=models.CheckConstraint(
                condition=models.Q(("refunded_minor__gte", 0), ("refunded_minor__lte", models.F("amount_minor"))),
                name="monetization_mpayment_refund_within_amount",
            ),
        ),
    ]
