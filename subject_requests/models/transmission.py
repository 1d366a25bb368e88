"""GDPR Art. 20(2) on the request: the requester of a portability request may name another
controller (a company) and its address for receiving data, to have the package sent there.

A DPO confirms the transmission, or declines it with reasons (Art. 20(4), 12(4)); confirmed,
the package goes to that address by the signed, expiring, logged link of `delivery` when the
request is completed; declined, it goes to the requester and the letter says why. The
receiver's name and address and the reasons are the requester's words: encrypted, and
cleared with the rest three years after closing (`subject_requests.retention`).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedEmailField, EncryptedStringField, EncryptedTextField
from subject_requests.choices import Transmission


class TransmissionFields(models.Model):
    """The fields of `SubjectRequest` that send its package to another controller."""

    receiver_name = EncryptedTextField(
        _("receiving company"), max_length=200, null=True, blank=True
    )
    receiver_email = EncryptedEmailField(
        _("receiving company's address for data"), null=True, blank=True
    )
    transmission = models.CharField(
        _("transmission to the receiving company"),
        max_length=10,
        choices=Transmission.choices,
        blank=True,
    )
    transmission_decided_at = models.DateTimeField(
        _("transmission decided at"), null=True, blank=True
    )
    # Told to the requester in the letter (GDPR Art. 12(4)).
    transmission_reason = EncryptedStringField(_("why the transmission was declined"))
    transmitted_at = models.DateTimeField(
        _("sent to the receiving company at"), null=True, blank=True
    )
    # Signs the receiver's download link, as `delivery_nonce` signs the requester's.
    receiver_nonce = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def transmission_confirmed(self) -> bool:
        return self.transmission == Transmission.CONFIRMED

    @property
    def transmission_declined(self) -> bool:
        return self.transmission == Transmission.DECLINED

    @property
    def transmission_awaits_decision(self) -> bool:
        return self.transmission == Transmission.ASKED
