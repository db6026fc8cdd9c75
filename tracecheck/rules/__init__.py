"""Rule packs: schema and loader, named validators, the matcher, and masking."""
