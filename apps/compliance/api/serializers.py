from rest_framework import serializers

from apps.compliance.screening import ENTITY_TYPES, MAX_NAME_LENGTH
from apps.core.api.serializers import InputSerializer


class ScreeningSearchSerializer(InputSerializer):
    name = serializers.CharField(max_length=MAX_NAME_LENGTH, trim_whitespace=True)
    entity_type = serializers.ChoiceField(choices=ENTITY_TYPES, required=False)
    country = serializers.CharField(max_length=100, required=False, allow_blank=True)
    # Checked by the service (400 invalid_date), so the API, the CLI and callers in code refuse alike.
    date_of_birth = serializers.CharField(max_length=10, required=False, help_text="YYYY or YYYY-MM-DD")


class ExplanationSerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text="name parts: exact, joined, typo, phonetic, initial, reordered, missing, extra, alias:<kind>; "
        "identifiers: date_of_birth_exact, year_of_birth, date_of_birth_differs, nationality, country, "
        "country_differs, entity_type_differs"
    )
    query = serializers.CharField()
    listed = serializers.CharField()
    similarity = serializers.FloatField(required=False, help_text="name parts: how alike the two tokens are")
    adjustment = serializers.FloatField(required=False, help_text="identifiers: what they added to the score")


class HitSerializer(serializers.Serializer):
    list = serializers.CharField()
    entry_id = serializers.CharField(help_text="the list's own id: OFAC ent_num, UN reference number")
    matched_name = serializers.CharField()
    score = serializers.FloatField(min_value=0.0, max_value=1.0)
    explanation = ExplanationSerializer(many=True)


class ScreeningResultSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["clear", "potential_match"])
    hits = HitSerializer(many=True)
