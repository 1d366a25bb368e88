"""Bases for the Django classes that django-stubs make generic and Django cannot subscript.

`class RuleForm(forms.ModelForm[RetentionRule])` type-checks but fails at import: Django gives
`__class_getitem__` to querysets and managers only. For mypy each name here is the generic
class over `Any` (what a base shared by several models is); at run time it is the class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.db.models import Lookup

if TYPE_CHECKING:
    AnyModelAdmin = admin.ModelAdmin[Any]
    AnyTabularInline = admin.TabularInline[Any, Any]
    AnyModelForm = forms.ModelForm[Any]
    AnyModelChoiceField = forms.ModelChoiceField[Any]
    AnyModelMultipleChoiceField = forms.ModelMultipleChoiceField[Any]
    AnyLookup = Lookup[Any]
else:
    AnyModelAdmin = admin.ModelAdmin
    AnyTabularInline = admin.TabularInline
    AnyModelForm = forms.ModelForm
    AnyModelChoiceField = forms.ModelChoiceField
    AnyModelMultipleChoiceField = forms.ModelMultipleChoiceField
    AnyLookup = Lookup
