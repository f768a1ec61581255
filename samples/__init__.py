"""The demo's sample mentions (lumora_mentions.jsonl), shipped with the package."""
